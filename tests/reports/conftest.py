"""The banner tests' property and helpers, to make real banner choices for the reports."""
from tests.banner.conftest import banner, choose, prop  # noqa: F401  (fixtures, re-exported)
