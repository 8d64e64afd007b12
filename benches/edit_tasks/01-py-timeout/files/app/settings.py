"""Settings for the uploader."""

DEFAULT_TIMEOUT = 30
MAX_RETRIES = 3
CHUNK_SIZE = 4096
