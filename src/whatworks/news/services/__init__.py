"""Writes of the blog and newsletter: posts, subscribers, topics and issues in their modules;
:mod:`.sending` sends an issue in batches (the worker's job)."""
