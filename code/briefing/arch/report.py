"""What ``briefing arch`` prints: :func:`summary` (the JSON object) and :func:`format_text` (the table)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from briefing.arch.config import load_config
from briefing.arch.counts import (
    dtype_bytes,
    kv_cache_bytes,
    kv_cache_elements_per_token,
    kv_cache_per_token,
    mha_equivalent_kv_cache_bytes,
    mha_equivalent_kv_elements_per_token,
    mha_equivalent_kv_per_token,
    param_counts,
)
from briefing.arch.model import Architecture


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
