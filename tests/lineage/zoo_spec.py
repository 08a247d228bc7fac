"""The test zoo's models: the reference, its mixture, and the independently trained ones."""

VOCAB = 512
BASE = dict(vocab=VOCAB, d=64, layers=2, heads=4, kv_heads=2, ff=176)
STEPS = 200
# name: (config changes, seed, language)
INDEPENDENT = {
    "ind1": ({}, 1, 0), "ind2": ({}, 2, 0), "ind3": ({}, 3, 1), "ind4": ({}, 4, 2),
    "ind5": ({"ff": 128}, 5, 0), "ind6": ({"ff": 240}, 6, 1), "ind7": ({"layers": 3}, 7, 0), "ind8": ({"kv_heads": 4}, 8, 2),
    "ind9": ({"d": 96, "ff": 256}, 9, 0), "ind10": ({"d": 96, "ff": 256, "heads": 6, "kv_heads": 3}, 10, 1),
    "ind11": ({"ff": 176}, 11, 1), "ind12": ({"layers": 3, "ff": 128}, 12, 2),
}
MOE = dict(BASE, experts=4, ff=96)
