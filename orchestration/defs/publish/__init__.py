"""Publish domain: the analysts' warehouse file, the pipeline job and its nightly schedule."""
