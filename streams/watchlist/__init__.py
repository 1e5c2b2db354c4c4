"""The coalition watchlist: entries, their index, fuzzy names, links and files."""
