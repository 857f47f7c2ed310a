"""A citizen as a Mesa agent: fields for traits and state, one method per phase.

Written the way an ordinary Mesa user writes a model: objects, Python loops, one
`random.random()` per citizen x behaviour per day. The phases and their formulas are the
engine's (scslab/engine/*.py); docs/benchmarks.md says where the two differ.
"""

from __future__ import annotations

import math

import mesa

# The engine's constants (scslab/engine/behave.py, context.py), restated: the model, not its code.
STRATEGIC_CLIP = (-8.0, 4.0)  # bounds of the points incentive in the act log-odds
NORM_RANGE = (-1.0, 1.0)  # bounds of conformity pressure: ties' harm relative to the mean


class Citizen(mesa.Agent):
    def __init__(self, model, idx: int, group: int, virtue: float, strategic: float, privacy: float,
                 income_monthly: float):
        super().__init__(model)
        self.idx = idx
        self.group = group
        self.virtue = virtue
        self.strategic = strategic
        self.privacy = privacy
        self.income = income_monthly / 30.0  # daily
        rules, p = model.rules, model.params
        self.gained = self.lost = self.cgained = self.clost = 0.0  # `pos` is Mesa's position
        self.score = rules.base
        self.disclosed = p.levers.code and self.random.random() < p.disclose_initial * (1.0 - privacy)
        self.wealth = 0.0
        self.trust_r = self.trust_s = 0.0
        self.harm_level = 0.0
        L = len(rules.lists)
        self.until: list[int | None] = [None] * L  # step a listing ends; None when not listed
        self.listed_at = [0] * L
        self.renewals = [0] * L
        self.wrongful = [False] * L
        self.exit_at: list[int | None] = [None] * L
        self.appealed = [False] * L
        self.trig_count = [0] * L
        self.trig_clean = [0] * L
        self.trig_start = [0] * L
        self.reoffended = [False] * L
        self.appeal_due: int | None = None
        self.appeal_list = 0
        self.ties0: list[Citizen] = []  # ties at the start, in id order (filled by the model)
        # what others can see of this citizen: the state at the end of the previous step
        self.pub_score = self.score
        self.pub_black = False
        self.pub_published = False
        self.pub_harm = 0.0
        # per-step scratch
        self.acts: list[tuple[int, bool]] = []  # (behaviour, excused)
        self.records: list[tuple[int, int, bool, bool]] = []  # (behaviour, source, false, excused)
        self.new_discloser = False
        self.degree = self.n_black = 0
        self.mean_score = 0.0
        self.hshare = 0.0
        self.listings = self.wrongful_listings = 0

    # --- helpers ----------------------------------------------------------------------
    def is_listed(self, l: int) -> bool:
        return self.until[l] is not None

    def blacklisted(self) -> bool:
        return any(self.until[l] is not None for l, x in enumerate(self.model.rules.lists) if x.black)

    def unlist(self, l: int) -> None:
        self.until[l] = None
        self.exit_at[l] = None
        self.trig_count[l] = 0
        self.trig_clean[l] = 0

    def clean_score(self) -> float:
        r = self.model.rules
        return min(max(r.base + self.cgained - self.clost, r.lo), r.hi)

    # --- phases -----------------------------------------------------------------------
    def look_around(self) -> None:
        """Ties' public state as of last step."""
        ties = self.model.grid.get_neighbors(self.pos)
        self.degree = len(ties)
        self.n_black = sum(1 for j in ties if j.pub_black)
        if ties:
            self.mean_score = sum(j.pub_score for j in ties) / len(ties)
            self.hshare = sum(j.pub_harm for j in ties) / len(ties)
        else:
            self.mean_score = float("nan")
            self.hshare = 0.0

    def decide_disclosure(self) -> None:
        self.new_discloser = False
        r, p = self.model.rules, self.model.params
        if not p.levers.code or r.disclose_incentive <= 0 or self.disclosed:
            return
        hazard = p.disclose_hazard * r.disclose_incentive * self.strategic * (1.0 - self.privacy)
        if self.random.random() < hazard:
            self.disclosed = True
            self.new_discloser = True

    def marginal_value(self) -> tuple[float, float]:
        r = self.model.rules
        below, above = -math.inf, math.inf
        for x in r.thresholds:
            if x <= self.score:
                below = x
            else:
                above = x
                break
        if not r.thresholds:
            return 0.0, 0.0
        return math.exp(-(self.score - below) / r.h), math.exp(-(above - self.score) / r.h)

    def act_logits(self) -> list[float | None]:
        """Log-odds of each behaviour today (None: never happens)."""
        r, p = self.model.rules, self.model.params
        mean_h = self.model.mean_harm
        norm = min(max(self.hshare / mean_h - 1.0, NORM_RANGE[0]), NORM_RANGE[1]) if mean_h > 0 else 0.0
        m_down, m_up = self.marginal_value()
        d = 1 if self.disclosed else 0
        out: list[float | None] = []
        for b, x0 in enumerate(r.logit0):
            if x0 is None:
                out.append(None)
                continue
            sv, pts = r.social_value[b], r.points[b]
            x = x0 + p.w_virtue * (2.0 * self.virtue - 1.0) * sv
            if p.levers.code and (pts != 0 or r.trig_any[b]):
                stake = (pts / r.h) * (m_down if pts < 0 else m_up)
                if r.trig_any[b]:
                    stake -= p.list_stake
                term = p.w_strategic * self.strategic * r.know * r.pobs[b][self.group][d] * stake
                x += min(max(term, STRATEGIC_CLIP[0]), STRATEGIC_CLIP[1])
            if p.levers.norms and sv != 0:
                x += p.w_norm * norm * (-sv)
            out.append(x)
        return out

    def behave(self) -> None:
        excusable = self.model.rules.excusable
        self.acts = []
        for b, x in enumerate(self.act_logits()):
            if x is not None and self.random.random() < 1.0 / (1.0 + math.exp(-x)):
                self.acts.append((b, self.random.random() < excusable[b]))

    def observe(self) -> None:
        """The first covering source that sees an act files one record (false records are
        added afterwards, by the model: ScsModel.file_false_records).

        A source that sees an excusable act files it with its files_excusable share (by
        default a court hears the context and files none, other sources file all)."""
        r = self.model.rules
        d = 1 if self.disclosed else 0
        self.records = []
        for b, excused in self.acts:
            for s in r.sources_of[b]:
                if excused and r.files_excusable[s] <= 0.0:
                    continue
                if self.random.random() < r.cov[s][self.group][d]:
                    if excused and r.files_excusable[s] < 1.0 and self.random.random() >= r.files_excusable[s]:
                        continue  # seen, but the context is heard: not filed
                    self.records.append((b, s, False, excused))
                    break

    def update_score(self) -> None:
        r, p = self.model.rules, self.model.params
        if not p.levers.code:
            return
        for b, _s, false, excused in self.records:
            pts = r.points[b]
            clean = not (false or excused)
            if pts > 0:
                self.gained += pts
                if clean:
                    self.cgained += pts
            elif pts < 0:
                self.lost -= pts
                if clean:
                    self.clost -= pts
        if r.association_penalty > 0:
            self.lost += r.association_penalty * self.n_black
        if r.peer_weight > 0 and self.degree > 0:
            delta = r.peer_weight * (self.mean_score - self.score)
            if delta > 0:
                self.gained += delta
            else:
                self.lost -= delta
        if self.new_discloser and r.disclosure_reward > 0:
            self.gained += r.disclosure_reward
            self.cgained += r.disclosure_reward
        if r.disclosure_penalty > 0 and not self.disclosed:
            self.lost += r.disclosure_penalty
            self.clost += r.disclosure_penalty
        if r.neg_decay > 0:
            self.lost *= 1.0 - r.neg_decay
            self.clost *= 1.0 - r.neg_decay
        if r.pos_decay > 0:
            self.gained *= 1.0 - r.pos_decay
            self.cgained *= 1.0 - r.pos_decay
        self.score, self.gained, self.lost = _clip(r, self.gained, self.lost)
        _, self.cgained, self.clost = _clip(r, self.cgained, self.clost)

    def _triggered(self, l: int, score: float, count: int) -> bool:
        x = self.model.rules.lists[l]
        hit = bool(x.trigger) and count >= x.min_records
        if x.below is not None and score < x.below:
            hit = True
        if x.at_least is not None and score >= x.at_least:
            hit = True
        return hit

    def update_lists(self) -> None:
        r, p, t = self.model.rules, self.model.params, self.model.t
        if not p.levers.code or not r.lists:
            return
        for l, x in enumerate(r.lists):
            # trigger records count within a tumbling window opened by the first of them
            got = sum(1 for b, _s, _f, _e in self.records if b in x.trigger)
            if got:
                if t - self.trig_start[l] >= x.window:
                    self.trig_count[l] = self.trig_clean[l] = 0
                    self.trig_start[l] = t
                got_clean = sum(1 for b, _s, f, e in self.records if b in x.trigger and not (f or e))
                self.trig_count[l] = min(self.trig_count[l] + got, 30000)
                self.trig_clean[l] = min(self.trig_clean[l] + got_clean, 30000)
                if self.is_listed(l):
                    self.reoffended[l] = True
            # expiry and renewal
            if self.is_listed(l) and self.until[l] <= t:
                renew = self.renewals[l] < x.max_renewals and x.renew_days > 0
                if renew:
                    renew = self.reoffended[l] if x.renew_on_reoffence else self._triggered(l, self.score, self.trig_count[l])
                if renew:
                    self.until[l] = t + x.renew_days
                    self.renewals[l] += 1
                    self.reoffended[l] = False
                else:
                    self.unlist(l)
            # exit on performance, after the removal delay
            if x.exit_rate > 0 and self.is_listed(l):
                if self.exit_at[l] is None and self.random.random() < x.exit_rate:
                    self.exit_at[l] = t + x.exit_delay
                if self.exit_at[l] is not None and self.exit_at[l] <= t:
                    if x.below is not None:
                        ceiling = max(r.base + self.gained - x.below, 0.0)
                        self.lost = min(self.lost, ceiling)
                        self.clost = min(self.clost, ceiling)
                        self.score = max(self.score, x.below)
                    self.unlist(l)
            # credit repair
            if x.black and r.repair_available and self.is_listed(l):
                if (t - self.listed_at[l] >= r.repair_min_days and self.wealth >= r.repair_cost
                        and self.random.random() < p.repair_hazard * self.strategic):
                    self.wealth -= r.repair_cost
                    self.unlist(l)
            # entry
            if not self.is_listed(l) and self._triggered(l, self.score, self.trig_count[l]):
                wrongful = False
                if x.black:
                    wrongful = not self._triggered(l, self.clean_score(), self.trig_clean[l])
                    self.listings += 1
                    self.wrongful_listings += wrongful
                self.until[l] = 2**31 - 1 if x.duration is None else t + x.duration
                self.listed_at[l] = t
                self.renewals[l] = 0
                self.wrongful[l] = wrongful
                self.exit_at[l] = None
                self.appealed[l] = False
                self.reoffended[l] = False
                self.trig_count[l] = self.trig_clean[l] = 0

    def sanction(self) -> None:
        r = self.model.rules
        grade = r.grade_of(self.score)
        cost = gain = 0.0
        for m in r.sanctions:
            if (m.on_list is not None and self.is_listed(m.on_list)) or (m.on_list is None and grade in m.grades):
                cost += m.magnitude
        for m in r.privileges:
            if (m.on_list is not None and self.is_listed(m.on_list)) or (m.on_list is None and grade in m.grades):
                gain += m.magnitude
        self.wealth += self.income - cost + gain

    def appeal(self) -> None:
        r, p, t = self.model.rules, self.model.params, self.model.t
        if not (p.levers.code and r.appeals_available and r.lists):
            return
        if self.appeal_due == t:
            l = self.appeal_list
            correct = self.random.random() < r.appeal_accuracy
            won = self.is_listed(l) and (correct if self.wrongful[l] else not correct)
            if won:
                self.unlist(l)
                if self.wrongful[l]:
                    self.lost = min(self.lost, self.clost)
                    self.score = min(max(r.base + self.gained - self.lost, r.lo), r.hi)
            self.appeal_due = None
        for l, x in enumerate(r.lists):
            if not x.black:
                continue
            if not x.notice or not self.is_listed(l) or self.appealed[l] or self.appeal_due is not None:
                continue
            if r.appeal_deadline > 0 and t - self.listed_at[l] > r.appeal_deadline:
                continue
            if self.wealth < r.appeal_cost:
                continue
            prob = p.appeal_if_wronged if self.wrongful[l] else p.appeal_if_rightful * self.strategic
            if self.random.random() < prob:
                self.appealed[l] = True
                self.appeal_due = t + max(1, r.appeal_latency)
                self.appeal_list = l
                self.wealth -= r.appeal_cost

    def drop_ties(self) -> None:
        """Each tie is decided once, by its lower-id end, from both ends' public state."""
        p_listed, p_pub = self.model.p_drop_listed, self.model.p_drop_published
        for j in self.model.grid.get_neighbors(self.pos):
            if j.idx < self.idx:
                continue
            q = p_listed if (self.pub_black or j.pub_black) else 0.0
            if self.pub_published or j.pub_published:
                q = q + p_pub - q * p_pub
            if q > 0 and self.random.random() < q:
                self.model.grid.G.remove_edge(self.pos, j.pos)
                self.model.ties_dropped += 1

    def trade(self) -> None:
        """Exchanges with random ties and strangers; partners with recent harm may cheat."""
        p = self.model.params
        refuse = p.refuse_listed and p.levers.code
        rr = self.trust_r * p.trust_forgetting
        ss = self.trust_s * p.trust_forgetting
        G = self.model.grid.G
        citizens = self.model.citizens
        for k in range(p.exchanges_with_ties + p.exchanges_with_strangers):
            if k < p.exchanges_with_ties:
                if not self.ties0:
                    continue
                j = self.ties0[int(self.random.random() * len(self.ties0))]
                if not G.has_edge(self.pos, j.pos):
                    continue  # a dropped tie: no exchange this time
            else:  # a stranger: anyone else in the municipality
                n = len(citizens)
                if n < 2:
                    continue
                j = citizens[(self.idx + 1 + int(self.random.random() * (n - 1))) % n]
            if refuse and j.pub_black:
                continue
            if self.random.random() < 1.0 - math.exp(-p.cheat_scale * j.pub_harm):
                ss += 1.0
            else:
                rr += 1.0
        self.trust_r, self.trust_s = rr, ss

    def remember_harm(self) -> None:
        r, p = self.model.rules, self.model.params
        harm = sum(-r.social_value[b] for b, _e in self.acts if r.social_value[b] < 0)
        self.harm_level = self.harm_level * p.harm_memory + harm

    def publish(self) -> None:
        lists = self.model.rules.lists
        self.pub_score = self.score
        self.pub_black = any(x.black and self.until[l] is not None for l, x in enumerate(lists))
        self.pub_published = any(x.black and x.published and self.until[l] is not None for l, x in enumerate(lists))
        self.pub_harm = self.harm_level


def _clip(r, pos: float, neg: float) -> tuple[float, float, float]:
    """Score from its components, keeping them consistent with the clipped score."""
    s = r.base + pos - neg
    if s < r.lo:
        neg = r.base + pos - r.lo
    elif s > r.hi:
        pos = r.hi - r.base + neg
    return min(max(s, r.lo), r.hi), pos, neg
