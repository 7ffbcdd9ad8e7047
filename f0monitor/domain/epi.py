"""Epidemic curve and the instantaneous reproduction number (pure: standard library only).

The department's daily report (issue "Workspaces", item 5) shows new cases per day with a
7-day average, and the instantaneous reproduction number R_t with its credible interval by the
method of Cori, Ferguson, Fraser and Cauchemez (2013), "A new framework and software to
estimate time-varying reproduction numbers during epidemics", Am J Epidemiol 178(9):1505-12,
as implemented in the R package EpiEstim:

- incidence I_t per day; a discretised serial interval w_1..w_m (w_0 = 0);
- the total infectiousness Λ_t = Σ_{s=1..t} I_{t-s} w_s;
- over a sliding window of τ days ending at t, with a Gamma(a, scale b) prior on R (EpiEstim's
  defaults a = 1, b = 5: prior mean 5, sd 5), the posterior is Gamma with
  shape a + Σ I_s and scale 1 / (1/b + Σ Λ_s), s over the window;
- the estimate is the posterior mean, the credible interval its 2.5 % and 97.5 % quantiles.

EpiEstim starts the first window at day 2 and requires the window's cumulative incidence to
reach 12 cases before reporting (its "at least 12 cases" warning, Cori et al. web appendix 11);
we report nothing (None) for such a window, rather than the prior. Cori et al. also advise
starting only once one mean serial interval has passed since the first case, when the cases
seen can have been infected by cases seen: earlier windows (an epidemic that starts with a
burst of imported or newly registered cases) would give a meaningless, huge R.

The serial interval is discretised as EpiEstim's ``discr_si`` does for a gamma distribution
offset by one day (mean μ, sd σ): with a = ((μ-1)/σ)², b = σ²/(μ-1) and F(k; a, b) the gamma
CDF, w_k = k·F(k) + (k-2)·F(k-2) - 2(k-1)·F(k-1) + a·b·(2F(k-1; a+1) - F(k-2; a+1) - F(k; a+1)),
clipped at 0, then normalised. The default (mean 4.7 days, sd 2.9) is the COVID-19 serial
interval of Nishiura, Linton and Akhmetzhanov (2020), Int J Infect Dis 93:284-6; the
department can configure another.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_SI_MEAN = 4.7
DEFAULT_SI_SD = 2.9
DEFAULT_WINDOW = 7
PRIOR_SHAPE = 1.0
PRIOR_SCALE = 5.0
MIN_CASES = 12


# -- the gamma distribution, from the regularised incomplete gamma function ----------------

def _gamma_p(a: float, x: float) -> float:
    """Return the regularised lower incomplete gamma function P(a, x)."""
    if x <= 0.0:
        return 0.0
    if a <= 0.0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:  # series
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1.0
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return min(1.0, total * math.exp(log_front))
    # continued fraction for Q(a, x) (modified Lentz)
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def gamma_cdf(x: float, shape: float, scale: float) -> float:
    """Return the CDF at x of the gamma distribution of this shape and scale."""
    return _gamma_p(shape, x / scale) if x > 0 else 0.0


def gamma_pdf(x: float, shape: float, scale: float) -> float:
    """Return the density at x of the gamma distribution of this shape and scale."""
    if x <= 0.0:
        return 0.0
    return math.exp((shape - 1.0) * math.log(x) - x / scale - math.lgamma(shape) - shape * math.log(scale))


@lru_cache(maxsize=2048)
def gamma_quantile(p: float, shape: float, scale: float) -> float:
    """Return the p-quantile of the gamma distribution, to 1e-12.

    Newton's method on the CDF from the Wilson–Hilferty approximation, kept inside a bracket
    that each step narrows (a step leaving it bisects instead): five or six CDF evaluations
    where bisection took forty-five (the department's page computes 36 quantiles). Each
    evaluation's series grows with the square root of the shape (the window's cases: ~0.8 ms
    a pair of quantiles at 150,000 cases), so the quantiles are kept: the R_t windows of the
    past days are the same from one request to the next (a new case changes the last ones).
    """
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    lo, hi = 0.0, max(shape * scale, scale)
    while gamma_cdf(hi, shape, scale) < p:
        lo, hi = hi, hi * 2.0
    z = statistics.NormalDist().inv_cdf(p)
    guess = shape * scale * max(0.0, 1.0 - 1.0 / (9.0 * shape) + z * math.sqrt(1.0 / (9.0 * shape))) ** 3
    x = guess if lo < guess < hi else (lo + hi) / 2.0
    for _ in range(200):
        error = gamma_cdf(x, shape, scale) - p
        if error < 0.0:
            lo = x
        else:
            hi = x
        density = gamma_pdf(x, shape, scale)
        step = x - error / density if density > 0.0 else (lo + hi) / 2.0
        if not lo < step < hi:
            step = (lo + hi) / 2.0
        if abs(step - x) <= 1e-12 * max(1.0, x) or hi - lo <= 1e-12 * max(1.0, hi):
            return step
        x = step
    return x


# -- serial interval and incidence ---------------------------------------------------------

def discretised_serial_interval(mean: float = DEFAULT_SI_MEAN, sd: float = DEFAULT_SI_SD,
                                max_days: int | None = None) -> list[float]:
    """Return w_0..w_m, EpiEstim's offset-gamma discretisation (w_0 = 0, sum 1)."""
    if mean <= 1.0 or sd <= 0.0:
        raise ValueError("the serial interval needs a mean above 1 day and a positive sd")
    a = ((mean - 1.0) / sd) ** 2
    b = sd * sd / (mean - 1.0)
    m = max_days or max(2, math.ceil(mean + 6 * sd))

    def F(k: float, shape: float) -> float:
        return gamma_cdf(k, shape, b)

    w = [0.0]
    for k in range(1, m + 1):
        value = (k * F(k, a) + (k - 2) * F(k - 2, a) - 2 * (k - 1) * F(k - 1, a)
                 + a * b * (2 * F(k - 1, a + 1) - F(k - 2, a + 1) - F(k, a + 1)))
        w.append(max(0.0, value))
    total = sum(w)
    return [x / total for x in w]


def moving_average(values: Sequence[float], days: int = 7) -> list[float | None]:
    """Return the trailing mean over `days` (None until a full window is available)."""
    out: list[float | None] = []
    running = 0.0
    for i, v in enumerate(values):
        running += v
        if i >= days:
            running -= values[i - days]
        out.append(running / days if i >= days - 1 else None)
    return out


def total_infectiousness(incidence: Sequence[float], w: Sequence[float]) -> list[float]:
    """Return Λ_t = Σ_{s=1..t} I_{t-s} w_s for every day t."""
    lam = []
    for t in range(len(incidence)):
        lam.append(sum(incidence[t - s] * w[s] for s in range(1, min(t, len(w) - 1) + 1)))
    return lam


@dataclass(frozen=True)
class RtEstimate:
    """R_t for the window ending on day index `t` (posterior mean and credible interval)."""

    t: int
    mean: float
    lower: float
    upper: float
    cases: int


def cori_rt(incidence: Sequence[int], w: Sequence[float], *, window: int = DEFAULT_WINDOW,
            prior_shape: float = PRIOR_SHAPE, prior_scale: float = PRIOR_SCALE,
            interval: float = 0.95, min_cases: int = MIN_CASES) -> list[RtEstimate | None]:
    """Return, per day, R_t over the window ending that day (None where it is not estimable)."""
    if window < 1:
        raise ValueError("the window is at least one day")
    lam = total_infectiousness(incidence, w)
    tail = (1.0 - interval) / 2.0
    first_case = next((i for i, n in enumerate(incidence) if n > 0), len(incidence))
    earliest = max(1, first_case + math.ceil(sum(k * x for k, x in enumerate(w))))
    out: list[RtEstimate | None] = []
    for t in range(len(incidence)):
        start = t - window + 1
        if start < earliest:  # day 2 at the earliest, and one mean serial interval in
            out.append(None)
            continue
        cases = sum(incidence[start:t + 1])
        lam_sum = sum(lam[start:t + 1])
        if cases < min_cases or lam_sum <= 0:
            out.append(None)
            continue
        shape = prior_shape + cases
        scale = 1.0 / (1.0 / prior_scale + lam_sum)
        out.append(RtEstimate(t=t, mean=shape * scale, lower=gamma_quantile(tail, shape, scale),
                              upper=gamma_quantile(1.0 - tail, shape, scale), cases=int(cases)))
    return out


def renewal_series(r: Sequence[float], w: Sequence[float], seed: Sequence[float]) -> list[float]:
    """Return the expected incidence of the renewal equation I_t = R_t Λ_t after `seed` days.

    Used to check the estimator on a known synthetic epidemic.
    """
    incidence = list(seed)
    for t in range(len(seed), len(seed) + len(r)):
        lam = sum(incidence[t - s] * w[s] for s in range(1, min(t, len(w) - 1) + 1))
        incidence.append(r[t - len(seed)] * lam)
    return incidence
