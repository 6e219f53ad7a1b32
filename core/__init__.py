"""The domain: catalogues, services (the only writers), IAP assembly, access policy, the API."""
