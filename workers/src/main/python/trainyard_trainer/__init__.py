"""Trainyard's reference trainer: a Llama-architecture model and the step kinds pretrain,
continual-pretrain, sft, dpo and evaluate, run by the worker as ``python -m trainyard_trainer``."""

__version__ = "0.1.0"
