"""The arithmetic on an :class:`~briefing.arch.model.Architecture`: parameters, total and
activated per token by component (MTP modules apart), and the KV cache per token and for a
(batch, context), beside what plain multi-head attention would cache.

Each count follows the module layout of the reference code named in its docstring. Every
count is a closed form over the number of layers of each kind, never a loop over layers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from briefing.arch.model import Architecture

DTYPE_BYTES: dict[str, int] = {"bf16": 2, "fp16": 2, "fp8": 1, "fp32": 4}


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
