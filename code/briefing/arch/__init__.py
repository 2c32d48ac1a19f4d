"""Model architecture arithmetic: parameter counts and KV-cache size from a config.

The package is laid out by job: ``config`` reads a config into an
:class:`Architecture` (``model``), ``counts`` does the arithmetic on it, and
``report`` prints what ``briefing arch`` shows. Everything public is
re-exported here, so ``from briefing import arch; arch.param_counts(...)``.

Reads a Hugging Face ``config.json`` (model_type llama, mistral, mixtral, qwen2,
qwen2_moe, qwen3, qwen3_moe, deepseek_v2, deepseek_v3, dbrx) or an official
DeepSeek inference config (``inference/configs/config_*.json`` in
deepseek-ai/DeepSeek-V3) into one frozen :class:`Architecture`, then counts:

* parameters, total and activated per token, broken down into input embedding,
  attention, dense MLP, routed experts, shared experts, router, norms and LM head,
  with DeepSeek-V3's multi-token-prediction (MTP) modules counted apart;
* the KV cache per token and for a (batch, context) at a chosen dtype, for MHA,
  MQA, GQA and MLA, and what plain multi-head attention would cache instead.

Each count follows the module layout of the reference code named in the
function's docstring (the Hugging Face ``modeling_*.py`` of the family, or
DeepSeek's ``inference/model.py``). Published "activated" figures differ on
whether the input embedding is included: DeepSeek's 37B for V3 excludes it,
Mistral's 12.9B for Mixtral and Qwen's 2.7B for Qwen1.5-MoE include it, so
both are given.
"""

from briefing.arch.config import (
    DEEPSEEK_INFERENCE_KEYS,
    DEEPSEEK_INFERENCE_MODEL_TYPE,
    HUGGING_FACE_MODEL_TYPES,
    MAX_SIZE,
    load_config,
    parse_config,
)
from briefing.arch.counts import (
    DTYPE_BYTES,
    MTPCounts,
    ParamBreakdown,
    ParamCounts,
    attention_params_per_layer,
    dtype_bytes,
    kv_cache_bytes,
    kv_cache_elements_per_token,
    kv_cache_per_token,
    mha_equivalent_kv_cache_bytes,
    mha_equivalent_kv_elements_per_token,
    mha_equivalent_kv_per_token,
    norm_params_per_layer,
    param_counts,
)
from briefing.arch.model import MLA, Architecture, ConfigError, MoE
from briefing.arch.report import cli_main, format_text, summary

__all__ = [
    "DEEPSEEK_INFERENCE_KEYS", "DEEPSEEK_INFERENCE_MODEL_TYPE", "DTYPE_BYTES", "HUGGING_FACE_MODEL_TYPES",
    "MAX_SIZE", "MLA", "MTPCounts", "MoE", "Architecture", "ConfigError", "ParamBreakdown", "ParamCounts",
    "attention_params_per_layer", "cli_main", "dtype_bytes", "format_text", "kv_cache_bytes",
    "kv_cache_elements_per_token", "kv_cache_per_token", "load_config", "mha_equivalent_kv_cache_bytes",
    "mha_equivalent_kv_elements_per_token", "mha_equivalent_kv_per_token", "norm_params_per_layer",
    "param_counts", "parse_config", "summary",
]
