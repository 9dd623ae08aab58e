"""Print the SARIF multitool's validation results; fail on error-level ones."""
import json
import sys

doc = json.load(open(sys.argv[1]))
errors = 0
for run in doc.get("runs", []):
    for r in run.get("results", []):
        level = r.get("level", "warning")
        text = r.get("message", {}).get("text") or r.get("message", {}).get("id", "")
        print(f"{level}: {r.get('ruleId')}: {text}")
        if level == "error":
            errors += 1
print(f"sarif-multitool: {errors} error(s)")
sys.exit(1 if errors else 0)
