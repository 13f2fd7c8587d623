"""The GitHub integration's pages: the team's GitHub page, repositories, the install callback, App registration."""
