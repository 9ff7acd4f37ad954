"""亩均效益: the yearly per-mu efficiency evaluation of industrial firms, classes A/B/C/D (and T
for firms not rated), the low-efficiency list and the policy each class carries."""
