"""sitegen: a static site generator for comparison articles built from Markdown, YAML data and Jinja."""

__version__ = "0.1.0"
