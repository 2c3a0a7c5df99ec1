"""The lesson's steps and the playground's logic."""
