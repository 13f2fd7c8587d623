"""Translations from GitHub's shapes (webhook events, GraphQL nodes) into the metrics core's plain input types."""
