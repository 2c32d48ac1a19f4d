"""Training compute, GPU time and money, and API token prices: pure arithmetic, no I/O.

Conventions (each function's docstring gives its formula and source):

* training FLOPs ≈ 6·N·D, N parameters (activated ones, for a mixture of
  experts) and D training tokens (Kaplan et al. 2020, arXiv:2001.08361, §2.1;
  Hoffmann et al. 2022, "Chinchilla", arXiv:2203.15556, §3);
* with attention, per token 6·N + 12·L·H·Q·T (Chowdhery et al. 2022, "PaLM",
  arXiv:2204.02311, Appendix B), halved in the attention term for a causal mask;
* model FLOPs utilisation (MFU) = model FLOPs achieved / dense peak FLOPs
  (PaLM, Appendix B);
* prices in US dollars per million tokens, as API price lists give them.
"""

from __future__ import annotations

from dataclasses import dataclass

from briefing import lineage

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
TOKENS_PER_PRICE_UNIT = 1_000_000


@dataclass(frozen=True)
class GPUPeak:
    """A GPU's dense (no 2:4 sparsity) peak tensor throughput, in FLOP/s."""

    name: str
    bf16_flops: float
    fp8_flops: float | None

    def peak(self, precision: str = "bf16") -> float:
        """Dense peak FLOP/s at ``precision`` (``"bf16"`` or ``"fp8"``)."""
        if precision == "bf16":
            return self.bf16_flops
        if precision == "fp8" and self.fp8_flops is not None:
            return self.fp8_flops
        raise ValueError(f"{self.name} has no dense {precision} peak here")


# NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022), Table 3, SXM5:
# BF16 1979 and FP8 3958 TFLOPS "with sparsity"; dense is half: 989.4 and 1978.9.
H100_SXM = GPUPeak("H100 SXM", bf16_flops=989.4e12, fp8_flops=1978.9e12)
# The H800 (SXM) is the export variant of the H100 SXM with NVLink cut to 400 GB/s;
# its tensor-core peaks are taken equal to the H100 SXM's.
H800_SXM = GPUPeak("H800 SXM", bf16_flops=989.4e12, fp8_flops=1978.9e12)
# NVIDIA A100 datasheet: BF16 Tensor Core 312 TFLOPS dense; no FP8.
A100_SXM = GPUPeak("A100 SXM", bf16_flops=312e12, fp8_flops=None)


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


def _non_negative(name: str, value: float) -> None:
    if not value >= 0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")


# ---------------------------------------------------------------- compute


def training_flops(params: float, tokens: float) -> float:
    """Training FLOPs C = 6·N·D (forward 2·N·D, backward 4·N·D; Kaplan et al. 2020, §2.1).

    For a mixture of experts N is the parameters activated per token.
    """
    _non_negative("params", params)
    _non_negative("tokens", tokens)
    return 6.0 * params * tokens


def attention_flops_per_token(num_layers: int, num_heads: int, head_dim: int, seq_len: int, causal: bool = False) -> float:
    """Training FLOPs per token of the attention score and value products: 12·L·H·Q·T.

    PaLM, Appendix B: L layers, H heads, Q head dimension, T sequence length.
    With ``causal`` only the lower triangle of the T×T scores is computed, so
    the term is halved (the convention of Dao 2023, FlashAttention-2,
    arXiv:2307.08691, §4.1, for causal FLOP counts).
    """
    for name, value in (("num_layers", num_layers), ("num_heads", num_heads), ("head_dim", head_dim), ("seq_len", seq_len)):
        _non_negative(name, value)
    full = 12.0 * num_layers * num_heads * head_dim * seq_len
    return full / 2.0 if causal else full


def training_flops_per_token(
    params: float, num_layers: int, num_heads: int, head_dim: int, seq_len: int, causal: bool = False
) -> float:
    """Training FLOPs per token with attention: 6·N + 12·L·H·Q·T (PaLM, Appendix B; see :func:`attention_flops_per_token`).

    PaLM takes N as the non-embedding parameters.
    """
    _non_negative("params", params)
    return 6.0 * params + attention_flops_per_token(num_layers, num_heads, head_dim, seq_len, causal)


def training_flops_with_attention(
    params: float, tokens: float, num_layers: int, num_heads: int, head_dim: int, seq_len: int, causal: bool = False
) -> float:
    """Training FLOPs for D tokens: D·(6·N + 12·L·H·Q·T) (PaLM, Appendix B)."""
    _non_negative("tokens", tokens)
    return tokens * training_flops_per_token(params, num_layers, num_heads, head_dim, seq_len, causal)


# ---------------------------------------------------------------- GPU time and money


def gpu_hours_cost(gpu_hours: float, price_per_gpu_hour: float) -> float:
    """Rental cost in dollars: GPU-hours × price per GPU-hour (DeepSeek-V3 report, Table 1: 2788K × $2 = $5.576M)."""
    _non_negative("gpu_hours", gpu_hours)
    _non_negative("price_per_gpu_hour", price_per_gpu_hour)
    return gpu_hours * price_per_gpu_hour


def wall_clock_days(gpu_hours: float, num_gpus: int) -> float:
    """Days on a cluster of ``num_gpus`` GPUs all busy: GPU-hours / GPUs / 24.

    DeepSeek-V3 report §1: 180K H800 GPU-hours per trillion tokens is "3.7 days
    on our cluster with 2048 H800 GPUs".
    """
    _non_negative("gpu_hours", gpu_hours)
    _positive("num_gpus", num_gpus)
    return gpu_hours / num_gpus / HOURS_PER_DAY


def gpu_hours_for_flops(flops: float, peak_flops_per_gpu: float, mfu: float) -> float:
    """GPU-hours to do ``flops`` at utilisation ``mfu`` of a GPU's peak: C / (peak · MFU) / 3600."""
    _non_negative("flops", flops)
    _positive("peak_flops_per_gpu", peak_flops_per_gpu)
    _positive("mfu", mfu)
    return flops / (peak_flops_per_gpu * mfu) / SECONDS_PER_HOUR


def model_flops_utilization(model_flops: float, gpu_hours: float, peak_flops_per_gpu: float) -> float:
    """MFU = model FLOPs / (GPU-hours · 3600 · dense peak FLOP/s per GPU) (PaLM, Appendix B).

    Model FLOPs count only what the model needs (e.g. 6·N·D), not recomputation.
    """
    _non_negative("model_flops", model_flops)
    _positive("gpu_hours", gpu_hours)
    _positive("peak_flops_per_gpu", peak_flops_per_gpu)
    return model_flops / (gpu_hours * SECONDS_PER_HOUR * peak_flops_per_gpu)


def mfu_from_throughput(tokens_per_second: float, flops_per_token: float, num_chips: int, peak_flops_per_chip: float) -> float:
    """MFU from observed throughput: tokens/s × FLOPs per token / (chips × peak) (PaLM, Appendix B)."""
    _non_negative("tokens_per_second", tokens_per_second)
    _non_negative("flops_per_token", flops_per_token)
    _positive("num_chips", num_chips)
    _positive("peak_flops_per_chip", peak_flops_per_chip)
    return tokens_per_second * flops_per_token / (num_chips * peak_flops_per_chip)


# ---------------------------------------------------------------- token prices


@dataclass(frozen=True)
class TokenPrices:
    """API prices in dollars per million tokens: input on a cache hit, input on a cache miss, output."""

    input_cache_hit: float
    input_cache_miss: float
    output: float

    def __post_init__(self) -> None:
        for name in ("input_cache_hit", "input_cache_miss", "output"):
            _non_negative(name, getattr(self, name))


@dataclass(frozen=True)
class TokenMix:
    """Relative amounts of cache-hit input, cache-miss input and output tokens (any scale; normalised when used)."""

    input_cache_hit: float
    input_cache_miss: float
    output: float

    def __post_init__(self) -> None:
        for name in ("input_cache_hit", "input_cache_miss", "output"):
            _non_negative(name, getattr(self, name))
        if self.input_cache_hit + self.input_cache_miss + self.output <= 0:
            raise ValueError("a token mix needs some tokens")

    @property
    def weights(self) -> tuple[float, float, float]:
        """The three shares, summing to 1."""
        total = self.input_cache_hit + self.input_cache_miss + self.output
        return (self.input_cache_hit / total, self.input_cache_miss / total, self.output / total)


# Three input tokens per output token, no cache hits: the common "3:1 blended" price.
THREE_TO_ONE_NO_CACHE = TokenMix(input_cache_hit=0, input_cache_miss=3, output=1)


def input_price(prices: TokenPrices, cache_hit_share: float) -> float:
    """Dollars per million input tokens when a share ``h`` of them hit the cache: h·p_hit + (1 − h)·p_miss."""
    if not 0 <= cache_hit_share <= 1:
        raise ValueError(f"cache_hit_share must be within [0, 1], got {cache_hit_share!r}")
    return cache_hit_share * prices.input_cache_hit + (1 - cache_hit_share) * prices.input_cache_miss


def blended_price(prices: TokenPrices, mix: TokenMix) -> float:
    """Dollars per million tokens of a mix: w_hit·p_hit + w_miss·p_miss + w_out·p_out, weights summing to 1."""
    hit, miss, out = mix.weights
    return hit * prices.input_cache_hit + miss * prices.input_cache_miss + out * prices.output


def token_cost(prices: TokenPrices, input_cache_hit_tokens: float, input_cache_miss_tokens: float, output_tokens: float) -> float:
    """Dollars for the given token counts: Σ tokens × price / 10⁶."""
    for name, value in (
        ("input_cache_hit_tokens", input_cache_hit_tokens),
        ("input_cache_miss_tokens", input_cache_miss_tokens),
        ("output_tokens", output_tokens),
    ):
        _non_negative(name, value)
    return (
        input_cache_hit_tokens * prices.input_cache_hit
        + input_cache_miss_tokens * prices.input_cache_miss
        + output_tokens * prices.output
    ) / TOKENS_PER_PRICE_UNIT


def price_ratio(numerator: TokenPrices, denominator: TokenPrices, mix: TokenMix) -> float:
    """How many times dearer ``numerator`` is than ``denominator`` for the same mix: blended / blended."""
    below = blended_price(denominator, mix)
    _positive("denominator's blended price", below)
    return blended_price(numerator, mix) / below


# ---------------------------------------------------------------- money over time and across currencies


def relative_change(before: float, after: float) -> float:
    """Fractional change from ``before`` to ``after``: after / before − 1 (e.g. a close-to-close move).

    NVDA closes of 2025-01-24 and 2025-01-27 (data/market.csv): 118.42 / 142.62 − 1 = −16.97 %.
    """
    _positive("before", before)
    return after / before - 1.0


def per_year(amount: float, period_years: float) -> float:
    """An amount spread evenly over a period: amount / period_years.

    An even spread is an assumption, not a schedule: the Bank of China plan states
    a five-year total and Stargate a four-year one (data/investments.csv).
    """
    _non_negative("amount", amount)
    _positive("period_years", period_years)
    return amount / period_years


def to_base_currency(amount_in_quote: float, quote_per_base: float) -> float:
    """Convert an amount in the quote currency into the base currency: amount / rate.

    ``quote_per_base`` is quoted as in data/fx_rates.csv (base USD, quote CNY:
    CNY per one USD), so 1,000 bn CNY at 7.2846 is 137.3 bn USD.
    """
    _non_negative("amount_in_quote", amount_in_quote)
    _positive("quote_per_base", quote_per_base)
    return amount_in_quote / quote_per_base


def months_between(start: str, end: str) -> int:
    """Whole calendar months from one ISO date to a later one: (y₂ − y₁)·12 + (m₂ − m₁), days ignored
    ("2025-01-20" to "2025-09-17" is 8)."""
    (y1, m1), (y2, m2) = (tuple(int(x) for x in str(d).split("-")[:2]) for d in (start, end))
    months = (y2 - y1) * 12 + (m2 - m1)
    if months < 0:
        raise ValueError(f"{end} is before {start}")
    return lineage.traced(months, lineage.refs_in(start, end))


def days_between(start, end) -> int:
    """Whole days from one date (ISO text or a date) to another: ``"2025-01-20"`` to ``"2025-01-23"`` is 3."""
    import datetime

    first, last = (d if isinstance(d, datetime.date) else datetime.date.fromisoformat(str(d)[:10]) for d in (start, end))
    first, last = (d.date() if isinstance(d, datetime.datetime) else d for d in (first, last))
    return lineage.traced((last - first).days, lineage.refs_in(start, end))
