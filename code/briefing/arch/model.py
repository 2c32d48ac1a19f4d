"""What a config describes: one model's :class:`Architecture` (with its :class:`MLA` and
:class:`MoE` parts), whatever format it was read from; :class:`ConfigError` when it cannot be read."""

from __future__ import annotations

from dataclasses import dataclass


class ConfigError(ValueError):
    """A config that cannot be read as a supported architecture.

    ``key`` names the offending config key (dotted for nested keys, e.g.
    ``ffn_config.moe_top_k``) and ``source`` the file; both are in the message.
    """

    def __init__(self, source: str, message: str, key: str | None = None, line: int | None = None):
        self.source = source
        self.key = key
        self.line = line
        super().__init__(f"{source}:{line}: {message}" if line else f"{source}: {message}")


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
