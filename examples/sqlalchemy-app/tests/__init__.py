"""The shop API's tests."""
