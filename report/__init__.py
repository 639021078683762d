"""HTML and Markdown reports built from a results folder."""
