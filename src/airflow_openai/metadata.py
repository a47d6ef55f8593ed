"""The API's limits on an object's `metadata` (the spec's `Metadata`): 16 pairs, keys of up to 64
characters, values of up to 512. Batches and vector stores count their own tags against them."""

METADATA_PAIRS = 16
METADATA_KEY_MAX = 64
METADATA_VALUE_MAX = 512
