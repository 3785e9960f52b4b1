// A stand-in for an analytics tag: it only marks the page, so the blocking can be seen.
window.__analyticsRan = (window.__analyticsRan || 0) + 1;
(window.dataLayer = window.dataLayer || []).push({ event: "demo_analytics_loaded" });
document.getElementById("analytics-status").textContent = "ran";
