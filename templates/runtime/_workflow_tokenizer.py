"""`get_tokenizer()`: the model's tokenizer through `transformers`, when it is installed."""

from __future__ import annotations

from typing import Any

from ._helpers import optional_module

__all__ = ["load_tokenizer", "tokenizer_id"]

# Llama 3 tokenizers are gated on the Hugging Face hub; this ungated copy is the same.
LLAMA3_TOKENIZER = "thinkingmachineslabinc/meta-llama-3-instruct-tokenizer"


def tokenizer_id(model_name: str, declared: str | None = None) -> str:
    """The hub id to load: the server's `tokenizer_id`, else derived from the model name.

    `<org>/<model>:<suffix>` drops the suffix; `<org>/<model>/<variant>` loads `<org>/<model>`;
    `meta-llama/Llama-3*` loads the ungated Llama 3 tokenizer.
    """
    if declared:
        return declared
    name = model_name.split(":")[0]
    if name.startswith("meta-llama/Llama-3"):
        return LLAMA3_TOKENIZER
    if name.count("/") == 2:
        org, model, _variant = name.split("/", 2)
        return f"{org}/{model}"
    return name


def load_tokenizer(model_name: str, declared: str | None = None) -> Any:
    """A `transformers` tokenizer; ImportError naming `transformers` when it is absent."""
    name = tokenizer_id(model_name, declared)
    if name.startswith(("TML/", "thinkingmachines/")):
        raise RuntimeError(f"the tokenizer of {model_name} is not published; use a renderer instead")
    transformers = optional_module("transformers", "get_tokenizer()")
    return transformers.AutoTokenizer.from_pretrained(name, use_fast=True)
