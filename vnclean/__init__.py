"""vnclean: raw Vietnamese news scrapes -> clean Vietnamese + offline English, as a Prefect flow."""
__version__ = "0.1.0"
