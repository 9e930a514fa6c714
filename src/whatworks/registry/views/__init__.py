"""Pages of the research registry: public pages, the team's and editors' pages, open data."""
