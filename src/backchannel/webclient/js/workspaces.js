// The workspace switcher: a rail of the person's workspaces (auth.teams.list), shown when
// they sit in more than one (an organisation's person has one id in all of them).
import { h, replaceChildren, srOnly } from './dom.js';
import { initials } from './names.js';
import { on, state } from './store.js';

/**
 * @param {{onSwitch: (teamId: string) => Promise<unknown>}} handlers
 * @returns {HTMLElement} the <nav>, hidden for a person of one workspace
 */
export function workspaceRail({ onSwitch }) {
  const list = h('ul', { class: 'workspace-list' });
  const nav = h('nav', { class: 'workspaces', 'aria-label': 'Workspaces' }, list);
  let switching = false;

  /** @param {string} teamId */
  const choose = async (teamId) => {
    if (switching || teamId === state.team?.id) return;
    switching = true;
    for (const button of list.querySelectorAll('button')) button.setAttribute('aria-disabled', 'true');
    try {
      await onSwitch(teamId);
    } finally {
      switching = false;
      for (const button of list.querySelectorAll('button')) button.removeAttribute('aria-disabled');
    }
  };
  const draw = () => {
    const teams = [...state.teams.values()];
    nav.hidden = teams.length < 2;
    replaceChildren(list, ...teams.map((team) => h('li', {},
      h('button', {
        type: 'button', class: 'workspace', title: team.name, dataset: { id: team.id },
        'aria-current': team.id === state.team?.id ? 'true' : null, onclick: () => choose(team.id),
      }, h('span', { class: 'workspace-icon', 'aria-hidden': 'true', text: initials(team.name) }), srOnly(team.name)))));
  };
  on('teams', draw);
  draw();
  return nav;
}
