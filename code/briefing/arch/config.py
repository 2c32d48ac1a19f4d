"""Reading a config into an :class:`~briefing.arch.model.Architecture`.

A Hugging Face ``config.json`` (model_type llama, mistral, mixtral, qwen2, qwen2_moe, qwen3,
qwen3_moe, deepseek_v2, deepseek_v3, dbrx) or an official DeepSeek inference config
(``inference/configs/config_*.json`` in deepseek-ai/DeepSeek-V3). Every problem is a
:class:`ConfigError` naming the file and the key: a missing or mistyped key, a size no model
has (above :data:`MAX_SIZE`), JSON that is invalid, not UTF-8 or nested too deeply.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from briefing.arch.model import MLA, Architecture, ConfigError, MoE
from briefing.files import FileProblem, read_json

MAX_SIZE = 2**31 - 1
"""The largest size any count in a config may take: int32, what model code indexes with.
The largest real configs are far below it (DeepSeek-V3: vocab 129,280, 61 layers, 256 experts)."""

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


def _shown(value: Any) -> str:
    """A config value as a message shows it: huge integers in powers of ten, long text cut."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"about 10**{len(str(abs(value))) - 1}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def multiples_in(start: int, stop: int, step: int) -> int:
    """How many i in [start, stop) have i % step == 0: ⌊(stop − 1)/step⌋ − ⌊(start − 1)/step⌋ (0 if empty)."""
    if stop <= start:
        return 0
    return (stop - 1) // step - (start - 1) // step


def qwen_moe_layers(layers: int, step: int, mlp_only: set[int]) -> int:
    """MoE layers of qwen2_moe/qwen3_moe (modeling_qwen2_moe.py): layer i is sparse when
    i ∉ mlp_only_layers and (i + 1) % decoder_sparse_step == 0, so ⌊layers/step⌋ less the listed
    layers (inside the model) that would have been sparse."""
    return layers // step - sum(1 for i in mlp_only if 0 <= i < layers and (i + 1) % step == 0)


def deepseek_moe_layers(layers: int, first_dense: int, frequency: int) -> int:
    """MoE layers of deepseek_v2/v3 (modeling_deepseek.py): layer i is MoE when
    i >= first_k_dense_replace and i % moe_layer_freq == 0."""
    return multiples_in(first_dense, layers, frequency)


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
            raise self.error(key, f"'{self._name(key)}' must be a positive integer, got {_shown(value)}")
        return self._bounded(key, value)

    def count(self, key: str, default: Any = _MISSING) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"'{self._name(key)}' must be a non-negative integer, got {_shown(value)}")
        return self._bounded(key, value)

    def _bounded(self, key: str, value: int) -> int:
        if value > MAX_SIZE:
            raise self.error(key, f"'{self._name(key)}' is {_shown(value)}: no model is that large "
                                  f"(the limit is {MAX_SIZE:,})")
        return value

    def layer_list(self, key: str, layers: int) -> set[int]:
        """A list of layer indices (``mlp_only_layers``); indices outside the model are ignored, as the model code does."""
        value = self.raw(key, None) or []
        if not isinstance(value, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in value):
            raise self.error(key, f"'{self._name(key)}' must be a list of layer indices")
        return {i for i in value if 0 <= i < layers}

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
        moe_layers = qwen_moe_layers(layers, step, r.layer_list("mlp_only_layers", layers))

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
        moe_layers = deepseek_moe_layers(layers, first_dense, frequency)
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
    if path.is_dir():
        raise ConfigError(label, "cannot read the config: it is a folder, not a config.json")
    try:
        config = read_json(path, label)
    except FileProblem as problem:
        message = problem.message.replace("cannot read:", "cannot read the config:")
        raise ConfigError(label, message, line=problem.line) from None
    return parse_config(config, label)
