"""Tests of briefing.economics against the DeepSeek-V3 report and the PaLM paper.

Tolerance: dollar figures of the V3 report are printed to 3 decimals of a
million (or 2 for $0.01M), so they are compared at that precision; MFU is
compared to the printed tenth of a percent.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing import economics as econ

# DeepSeek-V3 technical report (arXiv:2412.19437), Table 1: training costs in
# H800 GPU hours and in USD "assuming the rental price of H800 is $2 per GPU hour".
V3_GPU_HOURS = {"pre-training": 2664e3, "context extension": 119e3, "post-training": 5e3}
V3_USD_MILLIONS = {"pre-training": 5.328, "context extension": 0.238, "post-training": 0.01}


def test_deepseek_v3_training_cost_table():
    for stage, hours in V3_GPU_HOURS.items():
        assert econ.gpu_hours_cost(hours, 2.0) / 1e6 == pytest.approx(V3_USD_MILLIONS[stage], abs=5e-4)
    total_hours = sum(V3_GPU_HOURS.values())
    assert total_hours == 2788e3
    assert econ.gpu_hours_cost(total_hours, 2.0) == pytest.approx(5.576e6)


def test_deepseek_v3_days_per_trillion_tokens():
    # V3 report §1: "training DeepSeek-V3 on each trillion tokens requires only
    # 180K H800 GPU hours, i.e., 3.7 days on our cluster with 2048 H800 GPUs";
    # 14.8T tokens (§4.2) at that rate is the 2664K of Table 1.
    assert round(econ.wall_clock_days(180e3, 2048), 1) == 3.7
    assert 14.8 * 180e3 == pytest.approx(V3_GPU_HOURS["pre-training"])


def test_palm_540b_model_flops_utilisation():
    # Chowdhery et al. 2022, PaLM (arXiv:2204.02311): Table 1, 540.35B parameters,
    # 118 layers, 48 heads of 256; sequence length 2048; Table 3 and Appendix B,
    # 238.3K tokens/s on 6144 TPU v4 chips (275 TFLOP/s bf16 peak each) is 46.2% MFU
    # with 6N + 12LHQT FLOPs per token.
    per_token = econ.training_flops_per_token(540.35e9, num_layers=118, num_heads=48, head_dim=256, seq_len=2048)
    assert per_token == 6 * 540.35e9 + 12 * 118 * 48 * 256 * 2048
    mfu = econ.mfu_from_throughput(238.3e3, per_token, num_chips=6144, peak_flops_per_chip=275e12)
    assert round(100 * mfu, 1) == 46.2


def test_six_n_d_and_attention_terms():
    assert econ.training_flops(70e9, 1.4e12) == pytest.approx(5.88e23)
    full = econ.attention_flops_per_token(80, 64, 128, 8192)
    assert full == 12 * 80 * 64 * 128 * 8192
    assert econ.attention_flops_per_token(80, 64, 128, 8192, causal=True) == full / 2
    assert econ.training_flops_with_attention(1e9, 1e6, 2, 4, 8, 16) == 1e6 * (6e9 + 12 * 2 * 4 * 8 * 16)


def test_mfu_and_gpu_hours_are_inverse():
    flops = econ.training_flops(36.6e9, 14.8e12)
    peak = econ.H800_SXM.peak("bf16")
    mfu = econ.model_flops_utilization(flops, V3_GPU_HOURS["pre-training"], peak)
    assert econ.gpu_hours_for_flops(flops, peak, mfu) == pytest.approx(V3_GPU_HOURS["pre-training"])
    assert econ.model_flops_utilization(flops, V3_GPU_HOURS["pre-training"], econ.H800_SXM.peak("fp8")) == pytest.approx(mfu / 2, rel=1e-3)


def test_gpu_peaks():
    # NVIDIA H100 Tensor Core GPU Architecture whitepaper, Table 3 (SXM5):
    # BF16 1979 and FP8 3958 TFLOPS with sparsity, half of that dense.
    assert econ.H100_SXM.peak("bf16") == pytest.approx(1979e12 / 2, rel=1e-3)
    assert econ.H100_SXM.peak("fp8") == pytest.approx(3958e12 / 2, rel=1e-3)
    with pytest.raises(ValueError, match="fp8"):
        econ.A100_SXM.peak("fp8")


def test_token_prices():
    prices = econ.TokenPrices(input_cache_hit=0.1, input_cache_miss=0.5, output=2.0)
    assert econ.input_price(prices, 0.0) == 0.5
    assert econ.input_price(prices, 0.25) == pytest.approx(0.25 * 0.1 + 0.75 * 0.5)
    assert econ.blended_price(prices, econ.THREE_TO_ONE_NO_CACHE) == pytest.approx((3 * 0.5 + 2.0) / 4)
    assert econ.blended_price(prices, econ.TokenMix(1, 1, 2)) == pytest.approx((0.1 + 0.5 + 2 * 2.0) / 4)
    assert econ.token_cost(prices, 2e6, 1e6, 0.5e6) == pytest.approx(0.2 + 0.5 + 1.0)
    dearer = econ.TokenPrices(input_cache_hit=1.0, input_cache_miss=5.0, output=20.0)
    assert econ.price_ratio(dearer, prices, econ.TokenMix(1, 2, 3)) == pytest.approx(10.0)


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        econ.wall_clock_days(100, 0)
    with pytest.raises(ValueError):
        econ.input_price(econ.TokenPrices(1, 1, 1), 1.5)
    with pytest.raises(ValueError):
        econ.TokenMix(0, 0, 0)
    with pytest.raises(ValueError):
        econ.TokenPrices(-1, 1, 1)


prices_st = st.builds(econ.TokenPrices, *(st.floats(0, 100, allow_nan=False),) * 3)
mix_st = (
    st.tuples(*(st.floats(0, 1e6, allow_nan=False),) * 3)
    .filter(lambda amounts: sum(amounts) > 1e-6)
    .map(lambda amounts: econ.TokenMix(*amounts))
)


@settings(max_examples=100, deadline=None)
@given(prices=prices_st, mix=mix_st)
def test_blended_price_lies_between_the_cheapest_and_dearest_price(prices, mix):
    blended = econ.blended_price(prices, mix)
    listed = (prices.input_cache_hit, prices.input_cache_miss, prices.output)
    assert min(listed) - 1e-9 <= blended <= max(listed) + 1e-9


@settings(max_examples=100, deadline=None)
@given(prices=prices_st, mix=mix_st, scale=st.floats(0.1, 1000))
def test_token_cost_matches_blended_price_times_tokens(prices, mix, scale):
    counts = (mix.input_cache_hit * scale, mix.input_cache_miss * scale, mix.output * scale)
    cost = econ.token_cost(prices, *counts)
    assert cost == pytest.approx(econ.blended_price(prices, mix) * sum(counts) / 1e6, rel=1e-9, abs=1e-12)


def test_relative_change_of_nvda_closes():
    # data/market.csv: closes of 2025-01-24 (142.62) and 2025-01-27 (118.42); reports say "nearly 17%".
    assert econ.relative_change(142.62, 118.42) == pytest.approx(-0.16968, abs=1e-5)
    assert econ.relative_change(10.0, 10.0) == 0.0
    with pytest.raises(ValueError):
        econ.relative_change(0.0, 1.0)


def test_per_year_and_currency_conversion():
    # Bank of China plan: 1,000 bn CNY over five years; USD/CNY 7.2846 (data/fx_rates.csv,
    # 2025-01-23) gives the "$137.5 billion"-order figure of the reports; Stargate: $500 bn over four years.
    assert econ.per_year(1e12, 5) == pytest.approx(2e11)
    assert econ.per_year(500e9, 4) == pytest.approx(125e9)
    assert econ.to_base_currency(1e12, 7.2846) / 1e9 == pytest.approx(137.28, abs=0.01)
    assert econ.to_base_currency(1e12, 7.1705) / 1e9 == pytest.approx(139.46, abs=0.01)
    with pytest.raises(ValueError):
        econ.per_year(1.0, 0)
    with pytest.raises(ValueError):
        econ.to_base_currency(1.0, 0.0)


def test_months_between_dates():
    """R1 released 2025-01-20 (github:deepseek-ai/DeepSeek-R1 @23807ce); its Nature paper 2025-09-17: eight months."""
    assert econ.months_between("2025-01-20", "2025-09-17") == 8
    assert econ.months_between("2024-01-11", "2024-03-28") == 2
    with pytest.raises(ValueError):
        econ.months_between("2025-09-17", "2025-01-20")
