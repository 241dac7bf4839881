"""Sparse mixture of experts as transformers' Mixtral computes it: routing, the load-balancing auxiliary
loss, the router z-loss and the routing metrics the trainer logs. The block itself is in model.py."""

import torch
import torch.nn.functional as F


def route(logits, k):
    """Top-k routing: softmax over all N router logits in float32, the k largest, renormalised to sum 1.
    Returns (weights [tokens, k] float32, experts [tokens, k])."""
    weights, experts = router_probs(logits).topk(k, dim=-1)
    return weights / weights.sum(dim=-1, keepdim=True), experts


def router_probs(logits):
    """The router's distribution over the N experts of each token: the softmax of its logits, in float32."""
    return torch.softmax(logits.float(), dim=-1)


def _pooled(router_logits):
    return torch.cat([l.reshape(-1, l.shape[-1]).float() for l in router_logits], dim=0)


def load_balancing_loss(router_logits, k):
    """transformers' ``load_balancing_loss_func`` (Switch eq. 4-6, top-k as Mixtral): over every layer's
    tokens pooled, N · Σ_e f_e · P_e, with f_e the share of (token, slot) choices of expert e summed over the
    k slots (so uniform routing gives k) and P_e the mean router probability of e. No padding mask: it
    counts every position, as transformers does when no attention mask is passed. Layers with different
    expert counts (``layer_experts``) cannot be pooled: the layers of each count are pooled, and those losses
    averaged weighted by their number of layers (one count: exactly transformers' value)."""
    groups = {}
    for logits in router_logits:
        groups.setdefault(logits.shape[-1], []).append(logits)
    total = sum(len(g) * _pooled_loss(_pooled(g), k) for g in groups.values())
    return total / len(router_logits)


def _pooled_loss(logits, k):
    n = logits.shape[-1]
    probs = torch.softmax(logits, dim=-1)
    _, chosen = probs.topk(k, dim=-1)
    tokens_per_expert = F.one_hot(chosen, n).float().mean(dim=0)  # [k, N]
    return n * (tokens_per_expert * probs.mean(dim=0).unsqueeze(0)).sum()


def z_loss(router_logits):
    """ST-MoE's router z-loss: the mean over tokens (all layers) of logsumexp(logits)²; keeps logits small."""
    lse = torch.cat([torch.logsumexp(l.reshape(-1, l.shape[-1]).float(), dim=-1) for l in router_logits])
    return lse.pow(2).mean()


def objective_terms(model):
    """What an MoE model adds to the training loss for its last training forward, and the values logged:
    (coef_aux · aux + coef_z · z, metrics). (None, {}) for a dense model."""
    c = model.config
    router_logits = model.router_logits()
    if not router_logits:
        return None, {}
    aux, z = load_balancing_loss(router_logits, c.num_experts_per_tok), z_loss(router_logits)
    extra = c.router_aux_loss_coef * aux + c.router_z_loss_coef * z
    stats = {"moe/aux_loss": aux.item(), "moe/z_loss": z.item()}
    stats.update(routing_metrics(router_logits, c.num_experts_per_tok))
    return extra, stats


@torch.no_grad()
def routing_metrics(router_logits, k):
    """Per layer: the mean entropy of the router distribution and each expert's share of the routed
    (token, slot) choices (a layer's loads sum to 1; uniform is 1/N)."""
    out = {}
    for i, logits in enumerate(router_logits):
        logits = logits.reshape(-1, logits.shape[-1]).float()
        n = logits.shape[-1]
        logp = torch.log_softmax(logits, dim=-1)
        out[f"moe/layer{i}/entropy"] = -(logp.exp() * logp).sum(-1).mean().item()
        _, chosen = logits.topk(k, dim=-1)
        load = torch.bincount(chosen.reshape(-1), minlength=n).float() / chosen.numel()
        out.update({f"moe/layer{i}/load/expert{j}": v for j, v in enumerate(load.tolist())})
    return out
