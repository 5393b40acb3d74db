"""Nothing lost when things break: outages, kill -9, lost answers, the soak."""
