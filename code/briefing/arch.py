"""Model architecture arithmetic: parameter counts and KV-cache size from a config.

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

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Mapping

DTYPE_BYTES: dict[str, int] = {"bf16": 2, "fp16": 2, "fp8": 1, "fp32": 4}

HUGGING_FACE_MODEL_TYPES = (
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen2_moe",
    "qwen3",
    "qwen3_moe",
    "deepseek_v2",
    "deepseek_v3",
    "dbrx",
)
DEEPSEEK_INFERENCE_MODEL_TYPE = "deepseek_inference"
DEEPSEEK_INFERENCE_KEYS = (
    "vocab_size",
    "dim",
    "inter_dim",
    "moe_inter_dim",
    "n_layers",
    "n_dense_layers",
    "n_heads",
    "n_routed_experts",
    "n_shared_experts",
    "n_activated_experts",
    "q_lora_rank",
    "kv_lora_rank",
    "qk_nope_head_dim",
    "qk_rope_head_dim",
    "v_head_dim",
)
_MISSING = object()


class ConfigError(ValueError):
    """A config that cannot be read as a supported architecture.

    ``key`` names the offending config key (dotted for nested keys, e.g.
    ``ffn_config.moe_top_k``) and ``source`` the file; both are in the message.
    """

    def __init__(self, source: str, message: str, key: str | None = None):
        self.source = source
        self.key = key
        super().__init__(f"{source}: {message}")


@dataclass(frozen=True)
class MLA:
    """Multi-head latent attention dimensions (DeepSeek-V2 paper §2.1, its d_c', d_c, d_h, d_h^R)."""

    q_lora_rank: int | None
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class MoE:
    """Mixture-of-experts feed-forward layers: routed experts (top-k of n) plus always-on shared experts."""

    num_routed_experts: int
    experts_per_token: int
    expert_intermediate_size: int
    num_shared_experts: int
    shared_expert_intermediate_size: int
    router_bias: bool
    shared_expert_gate: bool


@dataclass(frozen=True)
class Architecture:
    """One model's architecture, whatever the config format it was read from.

    ``head_dim`` is the per-head width of queries, keys and values; for MLA it
    is the query/key width ``qk_nope_head_dim + qk_rope_head_dim``.
    ``num_mtp_modules`` counts DeepSeek-V3's multi-token-prediction modules
    (``num_nextn_predict_layers``), which the parameter totals keep apart.
    """

    source: str
    config_format: str
    model_type: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    num_dense_layers: int
    num_moe_layers: int
    tie_word_embeddings: bool
    qkv_bias: bool
    o_bias: bool
    qk_norm: bool
    mlp_bias: bool
    num_mtp_modules: int
    sliding_window: int | None
    mla: MLA | None
    moe: MoE | None

    @property
    def attention(self) -> str:
        """``"mla"`` with a compressed KV latent, else ``"mha"``, ``"mqa"`` or ``"gqa"`` by KV-head count."""
        if self.mla is not None:
            return "mla"
        if self.num_kv_heads == self.num_heads:
            return "mha"
        if self.num_kv_heads == 1:
            return "mqa"
        return "gqa"


@dataclass(frozen=True)
class ParamBreakdown:
    """Parameter counts by component; ``total`` is their sum."""

    input_embedding: int = 0
    attention: int = 0
    dense_mlp: int = 0
    routed_experts: int = 0
    shared_experts: int = 0
    router: int = 0
    norms: int = 0
    lm_head: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __add__(self, other: ParamBreakdown) -> ParamBreakdown:
        return ParamBreakdown(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def times(self, count: int) -> ParamBreakdown:
        return ParamBreakdown(*(getattr(self, f.name) * count for f in fields(self)))


@dataclass(frozen=True)
class MTPCounts:
    """DeepSeek-V3 multi-token-prediction modules, counted apart from the main model.

    ``unique`` excludes the embedding and output head the modules share with the
    main model (README_WEIGHTS.md of deepseek-ai/DeepSeek-V3); ``as_stored`` adds
    the copies of both that the Hugging Face checkpoint stores in each module
    (``model.layers.61.embed_tokens`` and ``model.layers.61.shared_head.head``).
    """

    modules: int
    unique: int
    unique_active: int
    as_stored: int


@dataclass(frozen=True)
class ParamCounts:
    """Total and per-token activated parameters of the main model, plus MTP modules apart.

    In ``active`` the LM head is always the full output matrix and
    ``input_embedding`` is the full input matrix (0 when tied to the head, which
    is then counted once, as the head).
    """

    total: ParamBreakdown
    active: ParamBreakdown
    mtp: MTPCounts

    @property
    def params_total(self) -> int:
        return self.total.total

    @property
    def active_excluding_input_embedding(self) -> int:
        return self.active.total - self.active.input_embedding

    @property
    def active_including_input_embedding(self) -> int:
        return self.active.total


# ---------------------------------------------------------------- config reading


class _Reader:
    """Typed access to a config mapping that names the key and file on error."""

    def __init__(self, config: Mapping[str, Any], source: str, prefix: str = ""):
        self.config = config
        self.source = source
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, message, key=self._name(key))

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        if key in self.config:
            return self.config[key]
        if default is _MISSING:
            raise self.error(key, f"missing key '{self._name(key)}'")
        return default

    def positive_int(self, key: str, default: Any = _MISSING) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.error(key, f"'{self._name(key)}' must be a positive integer, got {value!r}")
        return value

    def count(self, key: str, default: Any = _MISSING) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"'{self._name(key)}' must be a non-negative integer, got {value!r}")
        return value

    def optional_positive_int(self, key: str) -> int | None:
        value = self.raw(key)
        if value is None or value == 0:
            return None
        return self.positive_int(key)

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"'{self._name(key)}' must be true or false, got {value!r}")
        return value

    def section(self, key: str) -> _Reader:
        value = self.raw(key)
        if not isinstance(value, Mapping):
            raise self.error(key, f"'{self._name(key)}' must be an object")
        return _Reader(value, self.source, prefix=f"{self._name(key)}.")


def _head_dim(r: _Reader, hidden_key: str, heads_key: str, hidden: int, heads: int) -> int:
    explicit = r.raw("head_dim", None)
    if explicit is not None:
        return r.positive_int("head_dim")
    if hidden % heads:
        raise r.error(heads_key, f"'{hidden_key}' {hidden} is not divisible by '{heads_key}' {heads}")
    return hidden // heads


def _check_kv_heads(r: _Reader, kv_key: str, heads: int, kv_heads: int) -> None:
    if heads % kv_heads:
        raise r.error(kv_key, f"'{r.prefix}{kv_key}' {kv_heads} does not divide the {heads} attention heads")


def _check_top_k(r: _Reader, key: str, top_k: int, experts: int) -> None:
    if top_k > experts:
        raise r.error(key, f"'{r.prefix}{key}' {top_k} exceeds the {experts} routed experts")


def _gqa_family(r: _Reader, model_type: str) -> Architecture:
    """llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe (modeling_<type>.py in transformers)."""
    hidden = r.positive_int("hidden_size")
    layers = r.positive_int("num_hidden_layers")
    heads = r.positive_int("num_attention_heads")
    kv_heads = r.raw("num_key_value_heads", None)
    kv_heads = heads if kv_heads is None else r.positive_int("num_key_value_heads")
    _check_kv_heads(r, "num_key_value_heads", heads, kv_heads)
    head_dim = _head_dim(r, "hidden_size", "num_attention_heads", hidden, heads)
    intermediate = r.positive_int("intermediate_size")

    attention_bias = r.flag("attention_bias", False) if model_type in ("llama", "qwen3", "qwen3_moe") else False
    qkv_bias = attention_bias or model_type in ("qwen2", "qwen2_moe")
    moe: MoE | None = None
    moe_layers = 0
    if model_type == "mixtral":
        experts = r.positive_int("num_local_experts")
        top_k = r.positive_int("num_experts_per_tok")
        _check_top_k(r, "num_experts_per_tok", top_k, experts)
        moe = MoE(experts, top_k, intermediate, 0, 0, router_bias=False, shared_expert_gate=False)
        moe_layers = layers
    elif model_type in ("qwen2_moe", "qwen3_moe"):
        experts = r.positive_int("num_experts")
        top_k = r.positive_int("num_experts_per_tok")
        _check_top_k(r, "num_experts_per_tok", top_k, experts)
        shared_width = r.positive_int("shared_expert_intermediate_size") if model_type == "qwen2_moe" else 0
        moe = MoE(
            experts,
            top_k,
            r.positive_int("moe_intermediate_size"),
            1 if shared_width else 0,
            shared_width,
            router_bias=False,
            shared_expert_gate=bool(shared_width),
        )
        step = r.positive_int("decoder_sparse_step", 1)
        mlp_only = r.raw("mlp_only_layers", None) or []
        if not isinstance(mlp_only, list):
            raise r.error("mlp_only_layers", "'mlp_only_layers' must be a list of layer indices")
        moe_layers = sum(1 for i in range(layers) if i not in mlp_only and (i + 1) % step == 0)

    sliding = r.raw("sliding_window", None) if model_type in ("mistral", "mixtral") else None
    return Architecture(
        source=r.source,
        config_format="huggingface",
        model_type=model_type,
        vocab_size=r.positive_int("vocab_size"),
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        intermediate_size=intermediate,
        num_dense_layers=layers - moe_layers,
        num_moe_layers=moe_layers,
        tie_word_embeddings=r.flag("tie_word_embeddings", False),
        qkv_bias=qkv_bias,
        o_bias=attention_bias,
        qk_norm=model_type in ("qwen3", "qwen3_moe"),
        mlp_bias=r.flag("mlp_bias", False) if model_type == "llama" else False,
        num_mtp_modules=0,
        sliding_window=sliding if isinstance(sliding, int) and sliding > 0 else None,
        mla=None,
        moe=moe,
    )


def _deepseek_hf(r: _Reader, model_type: str) -> Architecture:
    """deepseek_v2 / deepseek_v3 Hugging Face configs (modeling_deepseek.py in the model repos)."""
    if r.flag("attention_bias", False):
        raise r.error("attention_bias", "'attention_bias' true is not modelled for DeepSeek MLA")
    layers = r.positive_int("num_hidden_layers")
    heads = r.positive_int("num_attention_heads")
    mla = MLA(
        q_lora_rank=r.optional_positive_int("q_lora_rank"),
        kv_lora_rank=r.positive_int("kv_lora_rank"),
        qk_nope_head_dim=r.positive_int("qk_nope_head_dim"),
        qk_rope_head_dim=r.positive_int("qk_rope_head_dim"),
        v_head_dim=r.positive_int("v_head_dim"),
    )
    moe: MoE | None = None
    moe_layers = 0
    if r.raw("n_routed_experts") is not None:
        experts = r.positive_int("n_routed_experts")
        top_k = r.positive_int("num_experts_per_tok")
        _check_top_k(r, "num_experts_per_tok", top_k, experts)
        width = r.positive_int("moe_intermediate_size")
        shared = r.raw("n_shared_experts")
        shared = 0 if shared is None else r.count("n_shared_experts")
        moe = MoE(
            experts,
            top_k,
            width,
            shared,
            width,
            router_bias=r.raw("topk_method", "greedy") == "noaux_tc",
            shared_expert_gate=False,
        )
        first_dense = r.count("first_k_dense_replace")
        frequency = r.positive_int("moe_layer_freq", 1)
        moe_layers = sum(1 for i in range(layers) if i >= first_dense and i % frequency == 0)
    mtp = r.count("num_nextn_predict_layers", 0) if model_type == "deepseek_v3" else 0
    return Architecture(
        source=r.source,
        config_format="huggingface",
        model_type=model_type,
        vocab_size=r.positive_int("vocab_size"),
        hidden_size=r.positive_int("hidden_size"),
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=mla.qk_nope_head_dim + mla.qk_rope_head_dim,
        intermediate_size=r.positive_int("intermediate_size"),
        num_dense_layers=layers - moe_layers,
        num_moe_layers=moe_layers,
        tie_word_embeddings=r.flag("tie_word_embeddings", False),
        qkv_bias=False,
        o_bias=False,
        qk_norm=False,
        mlp_bias=False,
        num_mtp_modules=mtp,
        sliding_window=None,
        mla=mla,
        moe=moe,
    )


def _dbrx(r: _Reader) -> Architecture:
    """dbrx Hugging Face config (modeling_dbrx.py in databricks/dbrx): fused Wqkv, 16 experts, LayerNorm without bias."""
    hidden = r.positive_int("d_model")
    heads = r.positive_int("n_heads")
    attn = r.section("attn_config")
    ffn = r.section("ffn_config")
    kv_heads = attn.positive_int("kv_n_heads")
    _check_kv_heads(attn, "kv_n_heads", heads, kv_heads)
    if hidden % heads:
        raise r.error("n_heads", f"'d_model' {hidden} is not divisible by 'n_heads' {heads}")
    experts = ffn.positive_int("moe_num_experts")
    top_k = ffn.positive_int("moe_top_k")
    _check_top_k(ffn, "moe_top_k", top_k, experts)
    width = ffn.positive_int("ffn_hidden_size")
    layers = r.positive_int("n_layers")
    return Architecture(
        source=r.source,
        config_format="huggingface",
        model_type="dbrx",
        vocab_size=r.positive_int("vocab_size"),
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=hidden // heads,
        intermediate_size=width,
        num_dense_layers=0,
        num_moe_layers=layers,
        tie_word_embeddings=r.flag("tie_word_embeddings", False),
        qkv_bias=False,
        o_bias=False,
        qk_norm=False,
        mlp_bias=False,
        num_mtp_modules=0,
        sliding_window=None,
        mla=None,
        moe=MoE(experts, top_k, width, 0, 0, router_bias=False, shared_expert_gate=False),
    )


def _deepseek_inference(r: _Reader) -> Architecture:
    """DeepSeek's own inference config (ModelArgs in inference/model.py of deepseek-ai/DeepSeek-V3).

    Layers below ``n_dense_layers`` have a dense MLP of ``inter_dim``, the rest
    a MoE; ``q_lora_rank`` 0 means queries are not compressed; the router
    (``Gate``) has a bias only when ``dim == 7168``, as that code decides; the
    head is separate from the embedding.
    """
    for key in DEEPSEEK_INFERENCE_KEYS:
        r.raw(key)
    layers = r.positive_int("n_layers")
    dense = r.count("n_dense_layers")
    if dense > layers:
        raise r.error("n_dense_layers", f"'n_dense_layers' {dense} exceeds 'n_layers' {layers}")
    heads = r.positive_int("n_heads")
    hidden = r.positive_int("dim")
    experts = r.positive_int("n_routed_experts")
    top_k = r.positive_int("n_activated_experts")
    _check_top_k(r, "n_activated_experts", top_k, experts)
    width = r.positive_int("moe_inter_dim")
    q_lora = r.count("q_lora_rank")
    mla = MLA(
        q_lora_rank=q_lora or None,
        kv_lora_rank=r.positive_int("kv_lora_rank"),
        qk_nope_head_dim=r.positive_int("qk_nope_head_dim"),
        qk_rope_head_dim=r.positive_int("qk_rope_head_dim"),
        v_head_dim=r.positive_int("v_head_dim"),
    )
    return Architecture(
        source=r.source,
        config_format="deepseek-inference",
        model_type=DEEPSEEK_INFERENCE_MODEL_TYPE,
        vocab_size=r.positive_int("vocab_size"),
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=mla.qk_nope_head_dim + mla.qk_rope_head_dim,
        intermediate_size=r.positive_int("inter_dim"),
        num_dense_layers=dense,
        num_moe_layers=layers - dense,
        tie_word_embeddings=False,
        qkv_bias=False,
        o_bias=False,
        qk_norm=False,
        mlp_bias=False,
        num_mtp_modules=0,
        sliding_window=None,
        mla=mla,
        moe=MoE(
            experts,
            top_k,
            width,
            r.count("n_shared_experts"),
            width,
            router_bias=hidden == 7168,
            shared_expert_gate=False,
        ),
    )


def _is_deepseek_inference(config: Mapping[str, Any]) -> bool:
    return "model_type" not in config and "dim" in config and "n_layers" in config and "kv_lora_rank" in config


def parse_config(config: Mapping[str, Any], source: str = "<dict>") -> Architecture:
    """Read a config already loaded as a mapping into an :class:`Architecture`.

    A mapping without ``model_type`` but with ``dim``, ``n_layers`` and
    ``kv_lora_rank`` is taken as a DeepSeek inference config; anything else
    must carry a supported Hugging Face ``model_type``.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(source, "a config must be a JSON object")
    r = _Reader(config, source)
    if _is_deepseek_inference(config):
        return _deepseek_inference(r)
    model_type = r.raw("model_type")
    if model_type in ("deepseek_v2", "deepseek_v3"):
        return _deepseek_hf(r, model_type)
    if model_type == "dbrx":
        return _dbrx(r)
    if model_type in HUGGING_FACE_MODEL_TYPES:
        return _gqa_family(r, model_type)
    supported = ", ".join(HUGGING_FACE_MODEL_TYPES)
    raise r.error("model_type", f"unsupported model_type {model_type!r} (supported: {supported})")


def load_config(path_or_dict: str | os.PathLike[str] | Mapping[str, Any], source: str | None = None) -> Architecture:
    """Read a config file path, or a mapping already loaded, into an :class:`Architecture`.

    ``source`` names the config in error messages and output (default: the
    path, or ``"<dict>"``). Unreadable files and invalid JSON raise
    :class:`ConfigError` too.
    """
    if isinstance(path_or_dict, Mapping):
        return parse_config(path_or_dict, source or "<dict>")
    path = Path(path_or_dict)
    label = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(label, f"cannot read the config: {error.strerror or error}") from error
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(label, f"not valid JSON: {error}") from error
    return parse_config(config, label)


# ---------------------------------------------------------------- parameters


def _swiglu_params(hidden: int, width: int, bias: bool = False) -> int:
    """Gate, up and down projections of a SwiGLU MLP: 3·d·f (+ 2f + d biases when ``bias``)."""
    return 3 * hidden * width + (2 * width + hidden if bias else 0)


def attention_params_per_layer(arch: Architecture) -> int:
    """Attention projection weights (and biases) of one layer, norms excluded.

    GQA family (modeling_llama/qwen2/qwen3/mistral/mixtral.py; DBRX's fused
    Wqkv has the same shape): d·h·d_h for Q, 2·d·k·d_h for K and V, h·d_h·d
    for O, plus h·d_h + 2·k·d_h biases on Q/K/V (qwen2, or ``attention_bias``)
    and d on O (``attention_bias``).
    MLA (DeepSeek-V2 paper §2.1; inference/model.py ``MLA``): queries
    d·d_c' + d_c'·h·(d_h + d_h^R) with ``q_lora_rank`` d_c' (else d·h·(d_h + d_h^R)),
    keys/values d·(d_c + d_h^R) + d_c·h·(d_h + d_v), output h·d_v·d.
    """
    d, h = arch.hidden_size, arch.num_heads
    if arch.mla is not None:
        m = arch.mla
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        queries = d * m.q_lora_rank + m.q_lora_rank * h * qk if m.q_lora_rank else d * h * qk
        keys_values = d * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank * h * (m.qk_nope_head_dim + m.v_head_dim)
        return queries + keys_values + h * m.v_head_dim * d
    q_width = h * arch.head_dim
    kv_width = arch.num_kv_heads * arch.head_dim
    weights = d * q_width + 2 * d * kv_width + q_width * d
    biases = (q_width + 2 * kv_width if arch.qkv_bias else 0) + (d if arch.o_bias else 0)
    return weights + biases


def norm_params_per_layer(arch: Architecture) -> int:
    """Norm weights of one layer: 2·d (pre-attention, pre-MLP), + 2·d_h for qwen3 q/k norms, + d_c (+ d_c') for MLA's kv_a/q_a norms."""
    norms = 2 * arch.hidden_size
    if arch.qk_norm:
        norms += 2 * arch.head_dim
    if arch.mla is not None:
        norms += arch.mla.kv_lora_rank + (arch.mla.q_lora_rank or 0)
    return norms


def _layer_counts(arch: Architecture, is_moe: bool) -> tuple[ParamBreakdown, ParamBreakdown]:
    """Total and per-token active parameters of one decoder layer."""
    d = arch.hidden_size
    attention = attention_params_per_layer(arch)
    norms = norm_params_per_layer(arch)
    if not is_moe or arch.moe is None:
        dense = _swiglu_params(d, arch.intermediate_size, arch.mlp_bias)
        layer = ParamBreakdown(attention=attention, dense_mlp=dense, norms=norms)
        return layer, layer
    moe = arch.moe
    expert = _swiglu_params(d, moe.expert_intermediate_size, arch.mlp_bias)
    shared = moe.num_shared_experts * _swiglu_params(d, moe.shared_expert_intermediate_size)
    router = d * moe.num_routed_experts + (moe.num_routed_experts if moe.router_bias else 0) + (d if moe.shared_expert_gate else 0)
    total = ParamBreakdown(
        attention=attention,
        routed_experts=moe.num_routed_experts * expert,
        shared_experts=shared,
        router=router,
        norms=norms,
    )
    active = ParamBreakdown(
        attention=attention,
        routed_experts=moe.experts_per_token * expert,
        shared_experts=shared,
        router=router,
        norms=norms,
    )
    return total, active


def _mtp_counts(arch: Architecture) -> MTPCounts:
    """DeepSeek-V3 MTP modules (README_WEIGHTS.md; §2.2 of the V3 report).

    Each module is one decoder layer (taken as MoE whenever the main model has
    MoE layers, as in V3, where layer 61 follows them) plus ``enorm`` and
    ``hnorm`` (2·d), ``eh_proj`` (2d·d) and ``shared_head.norm`` (d); the
    embedding and output head are shared with the main model.
    """
    if arch.num_mtp_modules == 0:
        return MTPCounts(0, 0, 0, 0)
    layer_total, layer_active = _layer_counts(arch, is_moe=arch.moe is not None and arch.num_moe_layers > 0)
    extra = 2 * arch.hidden_size + 2 * arch.hidden_size * arch.hidden_size + arch.hidden_size
    unique = arch.num_mtp_modules * (layer_total.total + extra)
    unique_active = arch.num_mtp_modules * (layer_active.total + extra)
    copies = arch.num_mtp_modules * 2 * arch.vocab_size * arch.hidden_size
    return MTPCounts(arch.num_mtp_modules, unique, unique_active, unique + copies)


def param_counts(arch: Architecture) -> ParamCounts:
    """Total and per-token activated parameters, by component, with MTP modules apart.

    total  = V·d (embedding) + Σ_layers (attention + norms + FFN) + d (final norm) + V·d (head, unless tied)
    active = the same with each MoE layer's routed experts cut to top-k of n;
    shared experts, routers, attention and the head are active for every token.
    """
    dense_total, dense_active = _layer_counts(arch, is_moe=False)
    moe_total, moe_active = _layer_counts(arch, is_moe=True) if arch.num_moe_layers else (ParamBreakdown(), ParamBreakdown())
    embedding = arch.vocab_size * arch.hidden_size
    ends_total = ParamBreakdown(
        input_embedding=embedding,
        norms=arch.hidden_size,
        lm_head=0 if arch.tie_word_embeddings else embedding,
    )
    ends_active = ParamBreakdown(
        input_embedding=0 if arch.tie_word_embeddings else embedding,
        norms=arch.hidden_size,
        lm_head=embedding,
    )
    total = dense_total.times(arch.num_dense_layers) + moe_total.times(arch.num_moe_layers) + ends_total
    active = dense_active.times(arch.num_dense_layers) + moe_active.times(arch.num_moe_layers) + ends_active
    return ParamCounts(total=total, active=active, mtp=_mtp_counts(arch))


# ---------------------------------------------------------------- KV cache


def dtype_bytes(dtype: str) -> int:
    """Bytes per element: bf16/fp16 2, fp8 1, fp32 4."""
    try:
        return DTYPE_BYTES[dtype]
    except KeyError:
        raise ValueError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPE_BYTES)})") from None


def kv_cache_elements_per_token(arch: Architecture) -> int:
    """Elements cached per token over all layers.

    MHA/GQA/MQA: 2·n_kv·d_h·l (K and V for each KV head; DeepSeek-V2 paper, Table 1).
    MLA: (d_c + d_h^R)·l, the compressed latent plus the decoupled RoPE key, as
    DeepSeek's inference code caches in its default ``attn_impl="absorb"`` path
    (``kv_cache`` and ``pe_cache`` in inference/model.py of DeepSeek-V3).
    """
    if arch.mla is not None:
        return (arch.mla.kv_lora_rank + arch.mla.qk_rope_head_dim) * arch.num_layers
    return 2 * arch.num_kv_heads * arch.head_dim * arch.num_layers


def mha_equivalent_kv_elements_per_token(arch: Architecture) -> int:
    """Elements per token that plain multi-head attention would cache for the same model.

    Non-MLA: 2·n_h·d_h·l. MLA: n_h·((d_h + d_h^R) + d_v)·l, full keys of width
    qk_nope + qk_rope and values of width v_head_dim per head, as the
    ``attn_impl="naive"`` path of inference/model.py and the Hugging Face
    modeling code store them.
    """
    if arch.mla is not None:
        m = arch.mla
        return arch.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim) * arch.num_layers
    return 2 * arch.num_heads * arch.head_dim * arch.num_layers


def kv_cache_per_token(arch: Architecture, dtype: str = "bf16") -> int:
    """KV-cache bytes per token: :func:`kv_cache_elements_per_token` × bytes per element of ``dtype``."""
    return kv_cache_elements_per_token(arch) * dtype_bytes(dtype)


def mha_equivalent_kv_per_token(arch: Architecture, dtype: str = "bf16") -> int:
    """MHA-equivalent KV-cache bytes per token: :func:`mha_equivalent_kv_elements_per_token` × bytes per element."""
    return mha_equivalent_kv_elements_per_token(arch) * dtype_bytes(dtype)


def _check_tokens(context: int, batch: int) -> None:
    for name, value in (("context", context), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def kv_cache_bytes(arch: Architecture, dtype: str = "bf16", context: int = 1, batch: int = 1) -> int:
    """KV-cache bytes for ``batch`` sequences of ``context`` tokens: per-token bytes × context × batch.

    Every token of the context is counted; a sliding-window model served with a
    rolling buffer (``sliding_window``) would hold at most that many tokens.
    """
    _check_tokens(context, batch)
    return kv_cache_per_token(arch, dtype) * context * batch


def mha_equivalent_kv_cache_bytes(arch: Architecture, dtype: str = "bf16", context: int = 1, batch: int = 1) -> int:
    """MHA-equivalent KV-cache bytes for ``batch`` sequences of ``context`` tokens."""
    _check_tokens(context, batch)
    return mha_equivalent_kv_per_token(arch, dtype) * context * batch


# ---------------------------------------------------------------- summary and CLI


def summary(arch: Architecture, dtype: str = "bf16", context: int | None = None, batch: int = 1) -> dict[str, Any]:
    """Everything ``briefing arch --json`` prints, as one JSON-ready dict.

    ``params_active`` excludes the input embedding (an embedding lookup is a
    gather, not a matrix product; DeepSeek's "37B activated" for V3 counts this
    way); ``params_active_including_input_embedding`` adds it (Mistral's
    "12.9B" for Mixtral counts that way).
    """
    counts = param_counts(arch)
    result: dict[str, Any] = {
        "source": arch.source,
        "config_format": arch.config_format,
        "model_type": arch.model_type,
        "attention": arch.attention,
        "num_layers": arch.num_layers,
        "num_dense_layers": arch.num_dense_layers,
        "num_moe_layers": arch.num_moe_layers,
        "hidden_size": arch.hidden_size,
        "num_heads": arch.num_heads,
        "num_kv_heads": arch.num_kv_heads,
        "head_dim": arch.head_dim,
        "vocab_size": arch.vocab_size,
        "tie_word_embeddings": arch.tie_word_embeddings,
        "mla": asdict(arch.mla) if arch.mla else None,
        "moe": asdict(arch.moe) if arch.moe else None,
        "sliding_window": arch.sliding_window,
        "params_total": counts.params_total,
        "params_active": counts.active_excluding_input_embedding,
        "params_active_includes_input_embedding": False,
        "params_active_excluding_input_embedding": counts.active_excluding_input_embedding,
        "params_active_including_input_embedding": counts.active_including_input_embedding,
        "breakdown": asdict(counts.total),
        "breakdown_active": asdict(counts.active),
        "mtp": asdict(counts.mtp),
        "params_total_with_mtp_as_stored": counts.params_total + counts.mtp.as_stored,
        "dtype": dtype,
        "bytes_per_element": dtype_bytes(dtype),
        "kv_cache_elements_per_token": kv_cache_elements_per_token(arch),
        "kv_cache_bytes_per_token": kv_cache_per_token(arch, dtype),
        "mha_equivalent_kv_cache_elements_per_token": mha_equivalent_kv_elements_per_token(arch),
        "mha_equivalent_kv_cache_bytes_per_token": mha_equivalent_kv_per_token(arch, dtype),
        "batch": batch,
        "context": context,
    }
    if context is not None:
        result["kv_cache_bytes"] = kv_cache_bytes(arch, dtype, context, batch)
        result["mha_equivalent_kv_cache_bytes"] = mha_equivalent_kv_cache_bytes(arch, dtype, context, batch)
    return result


def _billions(count: int) -> str:
    return f"{count / 1e9:,.2f}B"


def _bytes(count: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count:,} B ({count / size:,.2f} {unit})"
    return f"{count:,} B"


def _describe_attention(arch: Architecture) -> str:
    if arch.mla is not None:
        m = arch.mla
        q = f"q_lora_rank {m.q_lora_rank}" if m.q_lora_rank else "uncompressed queries"
        return (
            f"mla: {arch.num_heads} heads, latent {m.kv_lora_rank} + rope key {m.qk_rope_head_dim}, "
            f"head dims qk {m.qk_nope_head_dim}+{m.qk_rope_head_dim} v {m.v_head_dim}, {q}"
        )
    return f"{arch.attention}: {arch.num_heads} query heads, {arch.num_kv_heads} KV heads, head dim {arch.head_dim}"


def _describe_ffn(arch: Architecture) -> str:
    if arch.moe is None:
        return f"dense SwiGLU MLP, width {arch.intermediate_size}, all {arch.num_layers} layers"
    moe = arch.moe
    shared = f", {moe.num_shared_experts} shared (width {moe.shared_expert_intermediate_size})" if moe.num_shared_experts else ""
    return (
        f"{arch.num_dense_layers} dense layers (width {arch.intermediate_size}), {arch.num_moe_layers} MoE layers: "
        f"top-{moe.experts_per_token} of {moe.num_routed_experts} routed experts (width {moe.expert_intermediate_size}){shared}"
    )


def format_text(arch: Architecture, info: dict[str, Any]) -> str:
    """The small readable table ``briefing arch`` prints, from ``arch`` and :func:`summary`'s dict."""
    arch_lines = [
        f"config       {info['source']} ({info['config_format']}, model_type {info['model_type']})",
        f"layers       {info['num_layers']}, hidden size {info['hidden_size']}, vocab {info['vocab_size']}"
        + (", tied embeddings" if info["tie_word_embeddings"] else ""),
        f"attention    {_describe_attention(arch)}",
        f"ffn          {_describe_ffn(arch)}",
    ]
    total, active = info["breakdown"], info["breakdown_active"]
    rows = [
        ("input embedding", "input_embedding"),
        ("attention", "attention"),
        ("dense MLP", "dense_mlp"),
        ("routed experts", "routed_experts"),
        ("shared experts", "shared_experts"),
        ("router", "router"),
        ("norms", "norms"),
        ("LM head", "lm_head"),
    ]
    table = [f"{'parameters':<18}{'total':>20}{'active per token':>20}"]
    table += [f"  {label:<16}{total[key]:>20,}{active[key]:>20,}" for label, key in rows]
    table.append(f"  {'sum':<16}{info['params_total']:>20,}{info['params_active_including_input_embedding']:>20,}")
    lines = arch_lines + ["", *table, ""]
    lines.append(f"{'total':<34}{_billions(info['params_total'])}")
    lines.append(f"{'active, without input embedding':<34}{_billions(info['params_active_excluding_input_embedding'])}  (params_active)")
    lines.append(f"{'active, with input embedding':<34}{_billions(info['params_active_including_input_embedding'])}")
    mtp = info["mtp"]
    if mtp["modules"]:
        lines.append(
            f"{'MTP modules, counted apart':<34}{mtp['modules']}: {_billions(mtp['unique'])} unique "
            f"({_billions(mtp['unique_active'])} active), {_billions(mtp['as_stored'])} with their stored embedding and head copies"
        )
        lines.append(f"{'checkpoint total with MTP':<34}{_billions(info['params_total_with_mtp_as_stored'])}")
    lines.append("")
    lines.append(f"KV cache     {info['dtype']}, {info['bytes_per_element']} byte(s) per element")
    lines.append(
        f"  per token          {_bytes(info['kv_cache_bytes_per_token'])}  [{info['kv_cache_elements_per_token']:,} elements]"
    )
    ratio = info["mha_equivalent_kv_cache_bytes_per_token"] / info["kv_cache_bytes_per_token"]
    lines.append(
        f"  MHA-equivalent     {_bytes(info['mha_equivalent_kv_cache_bytes_per_token'])}  "
        f"[{info['mha_equivalent_kv_cache_elements_per_token']:,} elements, {ratio:.1f}x]"
    )
    if info["context"] is not None:
        shape = f"batch {info['batch']} x context {info['context']:,}"
        lines.append(f"  {shape}: {_bytes(info['kv_cache_bytes'])}; MHA-equivalent {_bytes(info['mha_equivalent_kv_cache_bytes'])}")
    if info["sliding_window"]:
        lines.append(f"  (every context token counted; a rolling buffer would keep at most {info['sliding_window']:,})")
    return "\n".join(lines)


def cli_main(args: argparse.Namespace) -> int:
    """``briefing arch CONFIG.json [--dtype] [--context N] [--batch N] [--json]``: print the table or one JSON object.

    Errors print one line to stderr and return exit code 2.
    """
    try:
        arch = load_config(args.config)
        if args.context is not None and args.context < 0:
            raise ValueError(f"--context must be non-negative, got {args.context}")
        if args.batch < 1:
            raise ValueError(f"--batch must be at least 1, got {args.batch}")
        info = summary(arch, args.dtype, args.context, args.batch)
    except ValueError as error:
        print(f"briefing arch: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(info, indent=2) if args.json else format_text(arch, info))
    return 0
