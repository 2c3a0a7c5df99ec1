"""What a person sees of a run: tables, plots (the only matplotlib importer), reports, model files."""
