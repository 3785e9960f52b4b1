"""The IAB frameworks a property can enable: TCF v2 and GPP strings, the Global Vendor List, their config."""
