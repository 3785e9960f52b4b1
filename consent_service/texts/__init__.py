"""Texts shown to people in their language: the built-in ones, and how operators override them."""
