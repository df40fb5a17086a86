"""`acs simulate`: a load generator of virtual CPEs speaking real CWMP to a local ACS."""
