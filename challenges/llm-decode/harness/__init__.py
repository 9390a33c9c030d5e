"""Agora llm-decode harness: trusted client, timer and judge for batch-1 greedy decode submissions."""

HARNESS_NAME = "agora-llm-decode"
HARNESS_VERSION = "1.0.0"
