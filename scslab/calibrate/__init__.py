"""Calibration of pilots to dated public figures (docs/calibration.md).

    from scslab.calibrate import CalibrationConfig, Param, calibrate, load_targets, write_outputs

    tf = load_targets("court-blacklist")          # the bundled targets, or a file
    cfg = CalibrationConfig("court-blacklist", tf, params_from_file(tf.fit))
    res = calibrate(cfg)
    write_outputs(res, load_pilot("court-blacklist"), "calibrations/court")
"""

from .core import (
           CalibrationConfig,
           CalibrationResult,
           Param,
           Screen,
           calibrate,
           calibrated_rulebook,
           params_from_file,
           stages_from_file,
           write_outputs,
)
from .targets import TargetsFile, load_targets, parse_targets

__all__ = ["CalibrationConfig", "CalibrationResult", "Param", "Screen", "TargetsFile", "calibrate", "calibrated_rulebook",
           "load_targets", "params_from_file", "parse_targets", "stages_from_file", "write_outputs"]
