"""The group SWOT workshop: the board in the group, collection and ballots in private."""
