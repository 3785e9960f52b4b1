"""The IAB frameworks (GPP, TCF v2.3) and Microsoft's consent signals a property can enable: their strings,
the Global Vendor List, their part of the banner config."""
