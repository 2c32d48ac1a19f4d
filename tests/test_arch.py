"""Tests of briefing.arch against official configs and the figures their makers publish.

Tolerance: a published figure is printed to a few digits, so it is taken to
agree with a computed count when the count, rounded *or truncated* to the
printed precision, gives the printed figure (DeepSeek rounds V3's 36.6B active
to "37B" but writes V2-Lite's 2.45B as "2.4B"). Where an exact count is known
(summed from a checkpoint's tensor shapes) the test asks for equality.
Fixture provenance: tests/fixtures/configs/SOURCES.md.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing import arch
from briefing.cli import main

CONFIGS = Path(__file__).parent / "fixtures" / "configs"
BILLION = 1e9


def load(name: str) -> arch.Architecture:
    return arch.load_config(CONFIGS / name)


def agrees_with_stated(count: int, stated_billions: float, decimals: int) -> bool:
    """True when ``count``, in billions, rounded or truncated to ``decimals`` places, is the stated figure."""
    scale = 10**decimals
    target = round(stated_billions * scale)
    value = count / BILLION * scale
    return round(value) == target or math.floor(value) == target


def dense_config(**overrides):
    config = {
        "model_type": "llama",
        "vocab_size": 32000,
        "hidden_size": 2048,
        "num_hidden_layers": 4,
        "num_attention_heads": 16,
        "num_key_value_heads": 4,
        "intermediate_size": 5632,
    }
    config.update(overrides)
    return config


def deepseek_config(**overrides):
    config = {
        "model_type": "deepseek_v3",
        "vocab_size": 1000,
        "hidden_size": 512,
        "intermediate_size": 1024,
        "moe_intermediate_size": 128,
        "num_hidden_layers": 4,
        "num_attention_heads": 8,
        "num_key_value_heads": 8,
        "n_routed_experts": 16,
        "n_shared_experts": 1,
        "num_experts_per_tok": 2,
        "first_k_dense_replace": 1,
        "moe_layer_freq": 1,
        "q_lora_rank": 96,
        "kv_lora_rank": 64,
        "qk_nope_head_dim": 32,
        "qk_rope_head_dim": 16,
        "v_head_dim": 32,
        "topk_method": "noaux_tc",
        "num_nextn_predict_layers": 0,
    }
    config.update(overrides)
    return config


# ---------------------------------------------------------------- DeepSeek-V3


def test_deepseek_v3_total_is_671b_from_both_config_formats():
    # DeepSeek-V3 technical report (arXiv:2412.19437), abstract and §4.2:
    # "671B total parameters with 37B activated for each token".
    hf = arch.param_counts(load("deepseek_v3_config.json"))
    official = arch.param_counts(load("deepseek_v3_inference_config_671B.json"))
    assert hf.total == official.total
    assert hf.active == official.active
    assert agrees_with_stated(hf.params_total, 671, 0)


def test_deepseek_v3_37b_active_excludes_the_input_embedding():
    # V3 report, abstract: 37B activated. Computed: 36.63B without the input
    # embedding (rounds to 37), 37.55B with it. README_WEIGHTS.md of
    # deepseek-ai/DeepSeek-V3 gives 36.7B for the main model.
    counts = arch.param_counts(load("deepseek_v3_config.json"))
    assert agrees_with_stated(counts.active_excluding_input_embedding, 37, 0)
    assert counts.active_excluding_input_embedding == pytest.approx(36.7e9, rel=0.005)
    assert counts.active_including_input_embedding - counts.active_excluding_input_embedding == 129280 * 7168


def test_deepseek_v3_checkpoint_with_mtp_module_matches_its_tensor_shapes():
    # deepseek-ai/DeepSeek-V3 README.md: "The total size of DeepSeek-V3 models on
    # Hugging Face is 685B, which includes 671B of the Main Model weights and 14B
    # of the Multi-Token Prediction (MTP) Module weights."
    # Exact: the checkpoint's tensors sum to 684,531,386,000 elements
    # (gogongxt/python scripts/models/deepseek_v3.md), of which FP8 block scales
    # (weight_scale_inv, one per 128x128 block) are not parameters:
    scales = (
        3 * (56 * 144 + 2 * 144 * 56)  # dense MLP of layers 0-2
        + 62 * (5 * 56 + 256 * 4 + 56 * 128 + 12 * 56 + 192 * 12)  # MLA of layers 0-61
        + 59 * 257 * 3 * 16 * 56  # 256 routed + 1 shared expert, layers 3-61
    )
    counts = arch.param_counts(load("deepseek_v3_config.json"))
    assert counts.params_total + counts.mtp.as_stored == 684_531_386_000 - scales
    # 685B on the hub counts the scales too (684.53B, rounded up); ours is 0.08% lower.
    assert counts.params_total + counts.mtp.as_stored == pytest.approx(685e9, rel=0.001)


def test_deepseek_v3_mtp_module_is_counted_apart():
    # README_WEIGHTS.md: "MTP Modules ... 11.5B unique parameters, excluding the
    # shared 0.9B Embedding and 0.9B output Head". Computed 11.61B: the extra
    # 0.10B is eh_proj (7168 x 14336), which that figure appears to leave out;
    # within 1% of 11.5B.
    a = load("deepseek_v3_config.json")
    counts = arch.param_counts(a)
    assert a.num_mtp_modules == 1
    assert counts.mtp.unique == pytest.approx(11.5e9, rel=0.01)
    assert counts.mtp.unique - 2 * 7168 * 7168 == pytest.approx(11.5e9, rel=0.001)
    assert counts.mtp.as_stored - counts.mtp.unique == 2 * 129280 * 7168
    assert arch.param_counts(load("deepseek_v3_inference_config_671B.json")).mtp.modules == 0


def test_deepseek_v3_breakdown_sums_and_layer_split():
    a = load("deepseek_v3_config.json")
    assert (a.num_dense_layers, a.num_moe_layers) == (3, 58)
    counts = arch.param_counts(a)
    assert counts.total.dense_mlp == 3 * 3 * 7168 * 18432
    assert counts.total.routed_experts == 58 * 256 * 3 * 7168 * 2048
    assert counts.active.routed_experts == 58 * 8 * 3 * 7168 * 2048
    assert counts.total.shared_experts == counts.active.shared_experts == 58 * 3 * 7168 * 2048
    assert counts.total.router == 58 * (256 * 7168 + 256)  # gate weight + e_score_correction_bias
    assert counts.total.total == counts.params_total


def test_mla_kv_cache_of_deepseek_v3():
    # MLA caches (d_c + d_h^R)·l elements per token (DeepSeek-V2 report, §2.1.3
    # and Table 1), as kv_cache + pe_cache in inference/model.py (attn_impl="absorb").
    a = load("deepseek_v3_config.json")
    assert a.attention == "mla"
    assert arch.kv_cache_elements_per_token(a) == (512 + 64) * 61 == 35_136
    assert arch.kv_cache_per_token(a, "bf16") == 70_272
    assert arch.kv_cache_per_token(a, "fp8") == 35_136
    # Plain MHA: keys of qk_nope + qk_rope = 192, values of 128, per head, 128 heads, 61 layers.
    assert arch.mha_equivalent_kv_elements_per_token(a) == 128 * (192 + 128) * 61 == 2_498_560
    assert arch.mha_equivalent_kv_per_token(a, "bf16") == 4_997_120


# ---------------------------------------------------------------- DeepSeek-V2 and V2-Lite


def test_deepseek_v2_is_236b_with_21b_active():
    # DeepSeek-V2 report (arXiv:2405.04434), §3.1.2: "236B total parameters, of
    # which 21B are activated for each token". Computed 235.74B / 20.85B.
    counts = arch.param_counts(load("deepseek_v2_inference_config_236B.json"))
    assert agrees_with_stated(counts.params_total, 236, 0)
    assert agrees_with_stated(counts.active_excluding_input_embedding, 21, 0)


def test_deepseek_v2_lite_is_15_7b_with_2_4b_active_from_both_formats():
    # DeepSeek-V2 report, Appendix B.1: "DeepSeek-V2-Lite comprises 15.7B total
    # parameters, of which 2.4B are activated for each token". Computed 15.71B
    # and 2.451B (2.4 truncated). Exact: 15,706,484,224 summed from the
    # checkpoint's tensor shapes (gogongxt/python scripts/DeepSeek-V2-Lite-Chat.md).
    hf = load("deepseek_v2_lite_chat_config.json")
    official = load("deepseek_v2_lite_inference_config_16B.json")
    assert hf.mla.q_lora_rank is None and official.mla.q_lora_rank is None
    counts = arch.param_counts(hf)
    assert counts == arch.param_counts(official)
    assert counts.params_total == 15_706_484_224
    assert agrees_with_stated(counts.params_total, 15.7, 1)
    assert agrees_with_stated(counts.active_excluding_input_embedding, 2.4, 1)


def test_mla_equals_gqa_with_2_25_groups_for_deepseek_v2():
    # DeepSeek-V2 report, Table 1 and §2.1.4: MLA caches (d_c + d_h^R)·l with
    # d_c = 4·d_h and d_h^R = d_h/2, "equal to GQA with only 2.25 groups" (2·n_g·d_h·l).
    a = load("deepseek_v2_inference_config_236B.json")
    d_h = a.mla.qk_nope_head_dim
    assert arch.kv_cache_elements_per_token(a) == 2 * 2.25 * d_h * a.num_layers == 34_560


def test_small_moe_kv_cache_elements_of_deepseek_v2_table_9():
    # DeepSeek-V2 report, Table 9: KV cache per token (# element) 15.6K for the
    # small MoE with MLA (V2-Lite's shape: 27 layers, d_c 512, d_h^R 64) and
    # 110.6K for the same small MoE with MHA (16 heads of 128).
    mla = load("deepseek_v2_lite_inference_config_16B.json")
    assert round(arch.kv_cache_elements_per_token(mla) / 1e3, 1) == 15.6
    mha = arch.load_config(dense_config(num_hidden_layers=27, num_key_value_heads=16))
    assert mha.attention == "mha"
    assert round(arch.kv_cache_elements_per_token(mha) / 1e3, 1) == 110.6


# ---------------------------------------------------------------- other families


def test_mixtral_8x7b_counts_its_12_9b_active_with_the_embedding():
    # Mistral AI, "Mixtral of experts" (mistral.ai/news/mixtral-of-experts):
    # "46.7B total parameters but only uses 12.9B parameters per token".
    # Computed 46.70B; active 12.88B with the input embedding, 12.75B without:
    # Mistral's figure includes it.
    a = load("mixtral_8x7b_v0_1_config.json")
    assert (a.attention, a.num_moe_layers) == ("gqa", 32)
    counts = arch.param_counts(a)
    assert agrees_with_stated(counts.params_total, 46.7, 1)
    assert agrees_with_stated(counts.active_including_input_embedding, 12.9, 1)
    assert not agrees_with_stated(counts.active_excluding_input_embedding, 12.9, 1)


def test_qwen2_5_72b_is_72_7b_with_qkv_biases():
    # Qwen2.5-72B model card (Hugging Face repo Qwen/Qwen2.5-72B): "Number of
    # Parameters: 72.7B". Exact: 72,706,203,648 summed from the checkpoint's
    # tensor shapes (gogongxt/python scripts/models/qwen2.5_72b_instruct.md),
    # which list q/k/v_proj.bias but no o_proj.bias.
    a = load("qwen2_5_72b_instruct_config.json")
    counts = arch.param_counts(a)
    assert counts.params_total == 72_706_203_648
    assert agrees_with_stated(counts.params_total, 72.7, 1)
    weights = 8192 * 8192 + 2 * 8192 * 1024 + 8192 * 8192
    assert arch.attention_params_per_layer(a) == weights + 8192 + 2 * 1024


def test_dbrx_is_132b_with_36b_active():
    # databricks/dbrx README.md: "132B total parameters and 36B live parameters".
    a = load("dbrx_config.json")
    assert (a.attention, a.num_kv_heads, a.head_dim) == ("gqa", 8, 128)
    counts = arch.param_counts(a)
    assert agrees_with_stated(counts.params_total, 132, 0)
    assert agrees_with_stated(counts.active_excluding_input_embedding, 36, 0)
    assert agrees_with_stated(counts.active_including_input_embedding, 36, 0)


def test_qwen3_30b_a3b_total_active_and_non_embedding():
    # Qwen3-30B-A3B model card: "Number of Parameters: 30.5B in total and 3.3B
    # activated", "Number of Paramaters (Non-Embedding): 29.9B".
    a = load("qwen3_30b_a3b_config.json")
    counts = arch.param_counts(a)
    assert agrees_with_stated(counts.params_total, 30.5, 1)
    assert agrees_with_stated(counts.active_including_input_embedding, 3.3, 1)
    non_embedding = counts.params_total - counts.total.input_embedding - counts.total.lm_head
    assert agrees_with_stated(non_embedding, 29.9, 1)


def test_qwen1_5_moe_shared_expert_and_gate():
    # Qwen1.5-MoE-A2.7B model card: "14.3B parameters in total and 2.7B
    # activated parameters during runtime" (computed 14.32B; 2.69B with the
    # input embedding). The fixture is reconstructed (SOURCES.md).
    a = load("qwen1_5_moe_a2_7b_config.json")
    counts = arch.param_counts(a)
    assert counts.total.shared_experts == 24 * 3 * 2048 * 5632
    assert counts.total.router == 24 * (60 * 2048 + 2048)  # gate + shared_expert_gate
    assert agrees_with_stated(counts.params_total, 14.3, 1)
    assert agrees_with_stated(counts.active_including_input_embedding, 2.7, 1)


def test_qwen3_head_dim_is_independent_of_hidden_size_and_has_qk_norms():
    # Qwen3-32B config: head_dim 128 while hidden_size / heads = 80.
    a = load("qwen3_32b_config.json")
    assert a.head_dim == 128 and a.qk_norm and not a.qkv_bias
    assert arch.attention_params_per_layer(a) == 5120 * 8192 + 2 * 5120 * 1024 + 8192 * 5120
    assert arch.norm_params_per_layer(a) == 2 * 5120 + 2 * 128


def test_llama_3_70b_kv_cache_per_token():
    # 80 layers, 8 KV heads of 128 (Llama 3 paper, arXiv:2407.21783, Table 3;
    # the 3.1 config has the same geometry): 2·8·128·80 elements, 2 bytes each in bf16.
    a = load("llama_3_1_70b_instruct_config.json")
    assert a.attention == "gqa"
    assert arch.kv_cache_per_token(a, "bf16") == 2 * 8 * 128 * 80 * 2 == 327_680
    assert arch.mha_equivalent_kv_per_token(a, "bf16") == 8 * 327_680
    assert arch.kv_cache_bytes(a, "bf16", context=8192, batch=4) == 327_680 * 8192 * 4


def test_mistral_sliding_window_is_recorded():
    a = load("mistral_7b_v0_1_config.json")
    assert (a.attention, a.sliding_window) == ("gqa", 4096)
    assert load("mixtral_8x7b_v0_1_config.json").sliding_window is None


def test_attention_kinds():
    assert arch.load_config(dense_config(num_key_value_heads=16)).attention == "mha"
    assert arch.load_config(dense_config(num_key_value_heads=1)).attention == "mqa"
    assert arch.load_config(dense_config(num_key_value_heads=4)).attention == "gqa"
    assert arch.load_config(dense_config(num_key_value_heads=None)).attention == "mha"


def test_tied_embeddings_are_counted_once_and_always_active():
    untied = arch.param_counts(arch.load_config(dense_config()))
    tied = arch.param_counts(arch.load_config(dense_config(tie_word_embeddings=True)))
    assert untied.params_total - tied.params_total == 32000 * 2048
    assert tied.total.lm_head == 0
    assert tied.active_including_input_embedding == tied.active_excluding_input_embedding
    assert tied.active_excluding_input_embedding == untied.active_excluding_input_embedding


def test_attention_bias_and_mlp_bias_of_llama():
    plain = arch.load_config(dense_config())
    biased = arch.load_config(dense_config(attention_bias=True, mlp_bias=True))
    assert arch.attention_params_per_layer(biased) - arch.attention_params_per_layer(plain) == 2048 + 2 * 512 + 2048
    difference = arch.param_counts(biased).total.dense_mlp - arch.param_counts(plain).total.dense_mlp
    assert difference == 4 * (2 * 5632 + 2048)


def test_moe_layer_frequency_and_first_dense_layers():
    a = arch.load_config(deepseek_config(num_hidden_layers=10, first_k_dense_replace=2, moe_layer_freq=2))
    assert (a.num_dense_layers, a.num_moe_layers) == (6, 4)  # MoE at layers 2, 4, 6, 8
    q = arch.load_config(
        {**dense_config(model_type="qwen3_moe", head_dim=128), "num_experts": 8, "num_experts_per_tok": 2,
         "moe_intermediate_size": 256, "decoder_sparse_step": 2, "mlp_only_layers": [1]}
    )
    assert (q.num_dense_layers, q.num_moe_layers) == (3, 1)  # layer 3 only: (i + 1) % 2 == 0 and i not in [1]


def test_dtype_bytes_and_unknown_dtype():
    a = arch.load_config(dense_config())
    per_token = {dtype: arch.kv_cache_per_token(a, dtype) for dtype in ("bf16", "fp16", "fp8", "fp32")}
    assert per_token["bf16"] == per_token["fp16"] == 2 * per_token["fp8"] == per_token["fp32"] // 2
    with pytest.raises(ValueError, match="int4"):
        arch.kv_cache_per_token(a, "int4")


def test_load_config_from_dict_names_its_source():
    a = arch.load_config(dense_config(), source="chapter-3 example")
    assert a.source == "chapter-3 example"
    assert arch.load_config(dense_config()).source == "<dict>"


# ---------------------------------------------------------------- errors


def write_config(tmp_path: Path, config: dict, name: str = "config.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_unsupported_model_type_names_key_and_file(tmp_path):
    path = write_config(tmp_path, {**dense_config(), "model_type": "gpt2"}, "gpt2.json")
    with pytest.raises(arch.ConfigError) as raised:
        arch.load_config(path)
    assert raised.value.key == "model_type"
    assert "model_type" in str(raised.value) and "gpt2.json" in str(raised.value) and "'gpt2'" in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_missing_key_names_key_and_file(tmp_path):
    config = dense_config()
    del config["num_hidden_layers"]
    path = write_config(tmp_path, config, "nolayers.json")
    with pytest.raises(arch.ConfigError, match=r"nolayers\.json: missing key 'num_hidden_layers'"):
        arch.load_config(path)


def test_kv_heads_not_dividing_heads():
    with pytest.raises(arch.ConfigError, match="num_key_value_heads") as raised:
        arch.load_config(dense_config(num_key_value_heads=5))
    assert raised.value.key == "num_key_value_heads"


def test_heads_not_dividing_hidden_size_without_head_dim():
    with pytest.raises(arch.ConfigError, match="num_attention_heads"):
        arch.load_config(dense_config(hidden_size=2050))
    assert arch.load_config(dense_config(hidden_size=2050, head_dim=128)).head_dim == 128


def test_nested_and_inference_config_keys_are_named():
    dbrx = json.loads((CONFIGS / "dbrx_config.json").read_text())
    del dbrx["ffn_config"]["moe_top_k"]
    with pytest.raises(arch.ConfigError, match=r"ffn_config\.moe_top_k"):
        arch.load_config(dbrx)
    dbrx = json.loads((CONFIGS / "dbrx_config.json").read_text())
    dbrx["attn_config"]["kv_n_heads"] = 7
    with pytest.raises(arch.ConfigError, match=r"attn_config\.kv_n_heads"):
        arch.load_config(dbrx)
    official = json.loads((CONFIGS / "deepseek_v3_inference_config_671B.json").read_text())
    del official["v_head_dim"]
    with pytest.raises(arch.ConfigError, match="v_head_dim"):
        arch.load_config(official)


def test_inconsistent_and_malformed_values(tmp_path):
    with pytest.raises(arch.ConfigError, match="num_experts_per_tok"):
        arch.load_config(deepseek_config(num_experts_per_tok=17))
    with pytest.raises(arch.ConfigError, match="hidden_size"):
        arch.load_config(dense_config(hidden_size="2048"))
    with pytest.raises(arch.ConfigError, match="q_lora_rank"):
        config = deepseek_config()
        del config["q_lora_rank"]
        arch.load_config(config)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(arch.ConfigError, match="bad.json:1: not valid JSON"):
        arch.load_config(bad)
    with pytest.raises(arch.ConfigError, match="cannot read"):
        arch.load_config(tmp_path / "absent.json")


# ---------------------------------------------------------------- properties

layers = st.integers(1, 96)
head_dims = st.sampled_from([32, 64, 80, 96, 128, 256])


@st.composite
def moe_configs(draw):
    experts = draw(st.integers(1, 64))
    return deepseek_config(
        num_hidden_layers=draw(layers),
        first_k_dense_replace=draw(st.integers(0, 4)),
        moe_layer_freq=draw(st.integers(1, 3)),
        n_routed_experts=experts,
        num_experts_per_tok=draw(st.integers(1, experts)),
        n_shared_experts=draw(st.integers(0, 2)),
        q_lora_rank=draw(st.sampled_from([None, 64, 1536])),
        tie_word_embeddings=draw(st.booleans()),
        num_nextn_predict_layers=draw(st.integers(0, 2)),
    )


@settings(max_examples=60, deadline=None)
@given(heads=st.sampled_from([1, 2, 4, 8, 16, 32, 64]), head_dim=head_dims, n_layers=layers)
def test_gqa_with_as_many_kv_heads_as_heads_is_mha(heads, head_dim, n_layers):
    a = arch.load_config(
        dense_config(num_attention_heads=heads, num_key_value_heads=heads, head_dim=head_dim, num_hidden_layers=n_layers)
    )
    assert a.attention == "mha"
    assert arch.kv_cache_per_token(a) == arch.mha_equivalent_kv_per_token(a) == 2 * heads * head_dim * n_layers * 2


@settings(max_examples=60, deadline=None)
@given(config=moe_configs())
def test_active_never_exceeds_total(config):
    counts = arch.param_counts(arch.load_config(config))
    assert counts.active_excluding_input_embedding <= counts.active_including_input_embedding <= counts.params_total
    assert counts.mtp.unique_active <= counts.mtp.unique <= counts.mtp.as_stored
    assert counts.total.total == counts.params_total


@settings(max_examples=60, deadline=None)
@given(
    kv_heads=st.sampled_from([1, 2, 4, 8, 16]),
    context=st.integers(0, 1_000_000),
    extra=st.integers(0, 1_000_000),
    batch=st.integers(1, 64),
    factor=st.integers(1, 16),
    dtype=st.sampled_from(sorted(arch.DTYPE_BYTES)),
)
def test_kv_cache_grows_linearly_with_context_and_batch(kv_heads, context, extra, batch, factor, dtype):
    for a in (arch.load_config(dense_config(num_key_value_heads=kv_heads)), arch.load_config(deepseek_config())):
        at = lambda c, b: arch.kv_cache_bytes(a, dtype, context=c, batch=b)  # noqa: E731
        assert at(context + extra, batch) == at(context, batch) + at(extra, batch)
        assert at(context, batch * factor) == factor * at(context, batch)
        assert at(context, batch) == arch.kv_cache_per_token(a, dtype) * context * batch


@settings(max_examples=60, deadline=None)
@given(heads=st.integers(1, 256), other_heads=st.integers(1, 256), n_layers=layers)
def test_mla_cache_does_not_depend_on_the_number_of_heads(heads, other_heads, n_layers):
    one = arch.load_config(deepseek_config(num_attention_heads=heads, num_key_value_heads=heads, num_hidden_layers=n_layers))
    two = arch.load_config(deepseek_config(num_attention_heads=other_heads, num_hidden_layers=n_layers))
    assert arch.kv_cache_per_token(one) == arch.kv_cache_per_token(two) == (64 + 16) * n_layers * 2


# ---------------------------------------------------------------- CLI


def test_cli_text_table(capsys):
    assert main(["arch", str(CONFIGS / "deepseek_v3_config.json"), "--context", "4096"]) == 0
    out = capsys.readouterr().out
    for expected in ("mla", "671.03B", "active, without input embedding   36.63B", "MTP modules", "70,272 B", "4,997,120 B", "context 4,096"):
        assert expected in out


def test_cli_json(capsys):
    path = CONFIGS / "llama_3_1_70b_instruct_config.json"
    assert main(["arch", str(path), "--json", "--dtype", "fp8", "--context", "1000", "--batch", "2"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["attention"] == "gqa"
    assert info["params_total"] == info["breakdown"]["input_embedding"] + sum(
        v for k, v in info["breakdown"].items() if k != "input_embedding"
    )
    assert info["params_active"] == info["params_active_excluding_input_embedding"]
    assert info["params_active_includes_input_embedding"] is False
    assert info["kv_cache_bytes_per_token"] == 2 * 8 * 128 * 80
    assert info["kv_cache_bytes"] == info["kv_cache_bytes_per_token"] * 1000 * 2
    assert info["mha_equivalent_kv_cache_bytes_per_token"] == 8 * info["kv_cache_bytes_per_token"]
    assert set(info["breakdown"]) == {
        "input_embedding", "attention", "dense_mlp", "routed_experts", "shared_experts", "router", "norms", "lm_head"
    }


def test_cli_json_without_context_has_no_totals(capsys):
    assert main(["arch", str(CONFIGS / "deepseek_v2_inference_config_236B.json"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["context"] is None and "kv_cache_bytes" not in info
    assert info["config_format"] == "deepseek-inference" and info["attention"] == "mla"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"model_type": "gpt2"}, "model_type"),
        ({"num_hidden_layers": None}, "num_hidden_layers"),
        ({"num_key_value_heads": 6}, "num_key_value_heads"),
    ],
)
def test_cli_errors_print_one_line_and_exit_2(tmp_path, capsys, change, key):
    config = {**dense_config(), **change}
    config = {k: v for k, v in config.items() if not (k == "num_hidden_layers" and v is None)}
    path = write_config(tmp_path, config)
    assert main(["arch", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and key in captured.err and str(path) in captured.err


def test_cli_rejects_negative_context(capsys):
    assert main(["arch", str(CONFIGS / "dbrx_config.json"), "--context", "-1"]) == 2
    assert "--context" in capsys.readouterr().err


# ---------------------------------------------------------------- absurd and hostile configs (issue 9, item 8)


def run_arch(path: Path) -> tuple[int, str, str]:
    """``briefing arch`` in a subprocess with a deadline: a hang is a failure, not a stuck test run."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "briefing.cli", "arch", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    return result.returncode, result.stdout, result.stderr


def test_a_huge_layer_count_is_refused_at_once(tmp_path):
    config = tmp_path / "huge.json"
    config.write_text(json.dumps(deepseek_config(num_hidden_layers=10**30)), encoding="utf-8")
    code, out, err = run_arch(config)
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (f"briefing arch: error: {config}: 'num_hidden_layers' is about 10**30: "
                           "no model is that large (the limit is 2,147,483,647)")


def test_a_deeply_nested_config_is_one_line(tmp_path):
    config = tmp_path / "deep.json"
    config.write_text('{"a": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    code, out, err = run_arch(config)
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"briefing arch: error: {config}: not usable JSON: nested too deeply"


def test_a_non_utf8_or_missing_config_is_one_line(tmp_path):
    config = tmp_path / "latin1.json"
    config.write_bytes(b'{"model_type": "llama",\n "name": "caf\xe9"}')
    code, out, err = run_arch(config)
    assert code == 2 and err.strip() == f"briefing arch: error: {config}:2: not valid UTF-8: byte 0xe9 at column 14; save the file as UTF-8"
    code, out, err = run_arch(tmp_path)
    assert code == 2 and err.strip() == f"briefing arch: error: {tmp_path}: cannot read the config: it is a folder, not a config.json"


def test_layer_counting_is_per_kind_and_agrees_with_the_per_layer_rule():
    """The closed forms against the rules of modeling_deepseek.py and modeling_qwen2_moe.py, layer by layer."""
    from briefing.arch.config import deepseek_moe_layers, qwen_moe_layers

    for layers in range(1, 40):
        for first in range(0, 6):
            for freq in range(1, 5):
                expected = sum(1 for i in range(layers) if i >= first and i % freq == 0)
                assert deepseek_moe_layers(layers, first, freq) == expected
        for step in range(1, 5):
            for mlp_only in (set(), {0}, {1, 3}, {layers - 1}):
                expected = sum(1 for i in range(layers) if i not in mlp_only and (i + 1) % step == 0)
                assert qwen_moe_layers(layers, step, mlp_only) == expected
    big = arch.load_config(deepseek_config(num_hidden_layers=2**31 - 1, first_k_dense_replace=3))
    assert big.num_moe_layers == 2**31 - 1 - 3
