"""The benchmark harness behind `make bench`: the ACS against its references."""
