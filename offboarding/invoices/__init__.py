"""The final invoice: issued at the boundary from the billing backend's closing statement,
numbered gapless per series and year, rendered to PDF/A-3b with Factur-X XML embedded."""
