"""`/v1/files` and `/v1/uploads`: keeping files and their content (`storing`), multi-part uploads
and their running md5s. The one service the others may import: they store and read files through it."""
