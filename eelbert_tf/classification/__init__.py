"""Text classification end to end: labeled text (GLUE or your own file), fine-tuning, the saved
classifier folder that every export and `eelbert predict` read."""
