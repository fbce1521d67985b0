"""Metrics and pictures for trained models."""
