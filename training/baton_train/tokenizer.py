"""Word-level tokenizer, written as a Hugging Face `tokenizer.json` (WordPiece of whole words).

The TypeScript side loads the JSON through @huggingface/tokenizers; this encoder
mirrors it (lowercase, BERT pre-tokenisation: words and punctuation) for training.
"""
import json
import re

import torch

from . import domain

PAD, UNK = "[PAD]", "[UNK]"


class Tokenizer:
    def __init__(self, vocab, max_length):
        self.vocab = vocab
        self.max_length = max_length
        self.pad_id = vocab[PAD]
        self.unk_id = vocab[UNK]

    @classmethod
    def build(cls, max_length):
        words = [PAD, UNK] + domain.caption_words()
        return cls({w: i for i, w in enumerate(words)}, max_length)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def encode(self, text):
        ids = [self.vocab.get(w, self.unk_id) for w in re.findall(r"\w+|[^\w\s]", text.lower())]
        ids = ids[: self.max_length]
        return ids + [self.pad_id] * (self.max_length - len(ids))

    def encode_batch(self, texts):
        return torch.tensor([self.encode(t) for t in texts], dtype=torch.long)

    def to_json(self):
        return {
            "version": "1.0",
            "truncation": {"direction": "Right", "max_length": self.max_length, "strategy": "LongestFirst", "stride": 0},
            "padding": {"strategy": {"Fixed": self.max_length}, "direction": "Right", "pad_to_multiple_of": None,
                        "pad_id": self.pad_id, "pad_type_id": 0, "pad_token": PAD},
            "added_tokens": [
                {"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for t in (PAD, UNK)
            ],
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": None,
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": UNK, "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": self.vocab},
        }

    def save(self, path):
        with open(path, "w") as f:
            json.dump(self.to_json(), f, indent=1)
