"""Dwell time on screen: log-normal and Weibull components and the glance/read mixture.

Each component is a frozen value object that knows its survival function (``scipy.stats``'
formula written out with ``scipy.special``: ``scipy.stats`` takes a good part of a second to
import, which neither ``import viewaudit`` nor a simulation should pay) and how to draw from it
(through ``numpy``, used by the simulation); tests check that the two agree, and that the
survival function is ``scipy.stats``' bit for bit. Times are in seconds here; the log holds
milliseconds.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import attrs
import numpy as np
from scipy import special

from viewaudit._model._validators import as_float, instance_of, real


@attrs.frozen(kw_only=True)
class LogNormal:
    """A log-normal dwell component: ``log(dwell_s) ~ Normal(log(median_s), sigma)``.

    Parameters
    ----------
    median_s
        Median dwell in seconds (``exp(mu)``), > 0.
    sigma
        Standard deviation of log dwell, > 0.
    """

    family: ClassVar[str] = "lognormal"
    median_s: float = attrs.field(converter=as_float, validator=real(low=0, low_open=True))
    sigma: float = attrs.field(converter=as_float, validator=real(low=0, low_open=True))

    def distribution(self) -> Any:
        """The frozen ``scipy.stats.lognorm`` distribution of dwell in seconds."""
        from scipy import stats

        return stats.lognorm(s=self.sigma, scale=self.median_s)

    def sf(self, t_s: Any) -> np.ndarray:
        """``P(dwell >= t_s)`` (continuous, so the same as ``>``): ``scipy.stats.lognorm.sf``'s
        own formula, bit for bit, without importing ``scipy.stats`` (a second at start-up)."""
        x = np.asarray(t_s, dtype=float) / self.median_s
        with np.errstate(divide="ignore", invalid="ignore"):
            out = special.ndtr(-(np.log(x) / self.sigma))
        return np.asarray(np.where(x <= 0, 1.0, out), dtype=float)

    @property
    def mean_s(self) -> float:
        return self.median_s * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` dwell times in seconds."""
        return rng.lognormal(math.log(self.median_s), self.sigma, n)

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, **attrs.asdict(self)}


@attrs.frozen(kw_only=True)
class Weibull:
    """A Weibull dwell component: ``P(dwell_s >= t) = exp(-(t / scale_s) ** shape)``.

    ``shape < 1`` is "negative aging": the longer an item has been on screen, the less likely
    it is to leave it in the next instant, which Liu, White & Dumais (SIGIR 2010) found for
    about 99 % of web pages. ``shape = 1`` is the exponential.

    Parameters
    ----------
    scale_s
        Scale in seconds (the 63rd percentile), > 0.
    shape
        Weibull shape ``k``, > 0.
    """

    family: ClassVar[str] = "weibull"
    scale_s: float = attrs.field(converter=as_float, validator=real(low=0, low_open=True))
    shape: float = attrs.field(converter=as_float, validator=real(low=0, low_open=True))

    def distribution(self) -> Any:
        """The frozen ``scipy.stats.weibull_min`` distribution of dwell in seconds."""
        from scipy import stats

        return stats.weibull_min(self.shape, scale=self.scale_s)

    def sf(self, t_s: Any) -> np.ndarray:
        """``P(dwell >= t_s)``: ``scipy.stats.weibull_min.sf``'s own formula, bit for bit."""
        x = np.asarray(t_s, dtype=float) / self.scale_s
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.exp(-np.power(x, self.shape))
        return np.asarray(np.where(x <= 0, 1.0, out), dtype=float)

    @property
    def mean_s(self) -> float:
        return self.scale_s * float(special.gamma(1 + 1 / self.shape))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` dwell times in seconds."""
        return self.scale_s * rng.weibull(self.shape, n)

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, **attrs.asdict(self)}


Component = LogNormal | Weibull
COMPONENTS: dict[str, type[LogNormal] | type[Weibull]] = {"lognormal": LogNormal, "weibull": Weibull}


def component_from_dict(data: dict[str, Any]) -> Component:
    """The inverse of ``Component.to_dict``."""
    data = dict(data)
    family = data.pop("family", None)
    if family not in COMPONENTS:
        raise ValueError(f"dwell component family must be one of {', '.join(COMPONENTS)}, got {family!r}")
    return COMPONENTS[family](**data)


@attrs.frozen(kw_only=True)
class DwellMixture:
    """Dwell on screen: a mass at zero, then a glance or a read.

    ``P(dwell = 0) = zero``; otherwise the dwell is drawn from ``glance`` with probability
    ``glance_weight`` and from ``read`` with the rest. So for ``t > 0``::

        P(dwell >= t) = (1 - zero) * (glance_weight * S_glance(t) + (1 - glance_weight) * S_read(t))

    and ``P(dwell >= 0) = 1``.

    Parameters
    ----------
    zero
        Share of impressions with no time on screen at all (rendered off screen, or gone
        before the first frame), in [0, 1].
    glance_weight
        Share of the non-zero dwells that are glances, in [0, 1].
    glance, read
        :class:`LogNormal` or :class:`Weibull` components, in seconds.
    """

    zero: float = attrs.field(default=0.0, converter=as_float, validator=real(low=0, high=1))
    glance_weight: float = attrs.field(converter=as_float, validator=real(low=0, high=1))
    glance: Component = attrs.field(validator=instance_of(LogNormal, Weibull))
    read: Component = attrs.field(validator=instance_of(LogNormal, Weibull))

    def sf(self, t_s: Any) -> np.ndarray:
        """``P(dwell >= t_s)`` for thresholds in seconds (1 at and below 0)."""
        t = np.asarray(t_s, dtype=float)
        positive = np.maximum(t, 0.0)
        mixed = self.glance_weight * self.glance.sf(positive) + (1 - self.glance_weight) * self.read.sf(positive)
        return np.where(t > 0, (1 - self.zero) * mixed, 1.0)

    @property
    def mean_s(self) -> float:
        return (1 - self.zero) * (self.glance_weight * self.glance.mean_s + (1 - self.glance_weight) * self.read.mean_s)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` dwell times in seconds (one uniform picks zero / glance / read)."""
        u = rng.random(n)
        glance = (u >= self.zero) & (u < self.zero + (1 - self.zero) * self.glance_weight)
        read = u >= self.zero + (1 - self.zero) * self.glance_weight
        out = np.zeros(n)
        out[glance] = self.glance.sample(rng, int(np.count_nonzero(glance)))
        out[read] = self.read.sample(rng, int(np.count_nonzero(read)))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "zero": self.zero,
            "glance_weight": self.glance_weight,
            "glance": self.glance.to_dict(),
            "read": self.read.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DwellMixture:
        """The inverse of :meth:`to_dict`."""
        data = dict(data)
        return cls(
            **{k: v for k, v in data.items() if k not in ("glance", "read")},
            glance=component_from_dict(data["glance"]),
            read=component_from_dict(data["read"]),
        )
