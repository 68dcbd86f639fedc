"""PEtab: exchange estimation problems with other tools."""
