"""Portal and download views, one module per part of the app."""
