"""The daily sync: snapshot → changes → central state → plan → push, with checks and schedule."""
