import { describe, expect, it } from 'vitest'
import { appendAt, jsonPath, newRule, problemsByRule, removeAt, replaceAt, ruleAt, switchGroup, toggleNot, type Rule } from './rules'

const tree: Rule = {
  and: [
    { segment: 'recency.cooling', op: 'in' },
    { or: [{ bought_category: 'shoes', window: { days: 90 } }, { attribute: 'city', op: 'eq', value: 'Berlin' }] },
  ],
}

describe('editing a rule tree by path', () => {
  it('reads and replaces a rule deep in the tree, sharing the rest', () => {
    expect(ruleAt(tree, [1, 1])).toEqual({ attribute: 'city', op: 'eq', value: 'Berlin' })
    const next = replaceAt(tree, [1, 1], { attribute: 'city', op: 'eq', value: 'Hamburg' })
    expect(ruleAt(next, [1, 1])).toMatchObject({ value: 'Hamburg' })
    expect(ruleAt(next, [0])).toBe(ruleAt(tree, [0]))
  })

  it('adds, removes, negates and switches between all and any', () => {
    const added = appendAt(tree, [1], newRule('aggregate'))
    expect((ruleAt(added, [1]) as { or: Rule[] }).or).toHaveLength(3)
    expect(ruleAt(removeAt(tree, [1, 0]), [1])).toEqual({ or: [{ attribute: 'city', op: 'eq', value: 'Berlin' }] })
    const single = removeAt(tree, [1, 0])
    expect(removeAt(single, [1, 0])).toBe(single)
    const negated = toggleNot(tree, [0])
    expect(ruleAt(negated, [0])).toEqual({ not: { segment: 'recency.cooling', op: 'in' } })
    expect(toggleNot(negated, [0])).toEqual(tree)
    expect(ruleAt(switchGroup(tree, [1]), [1])).toHaveProperty('and')
  })

  it('names each rule by the JSONPath the API uses in its problems', () => {
    expect(jsonPath(tree, [])).toBe('$')
    expect(jsonPath(tree, [1, 1])).toBe('$.and[1].or[1]')
    expect(jsonPath(toggleNot(tree, [0]), [0, 0])).toBe('$.and[0].not')
  })

  it('files problems under the rule they are in', () => {
    const found = problemsByRule([
      { path: '$.and[1].or[1].op', reason: 'eq is not an operator of city' },
      { path: '$.and[0].not.segment', reason: 'no segment nope' },
      { path: '$.and[1].or[0]', reason: 'expected exactly one of' },
      { path: '$.and', reason: 'expected a non-empty list of rules' },
      { path: '$.and[1].or[0].window.days', reason: 'days must be positive' },
    ])
    expect(found.get('$.and[1].or[1]')).toEqual(['eq is not an operator of city'])
    expect(found.get('$.and[0].not')).toEqual(['no segment nope'])
    expect(found.get('$.and[1].or[0]')).toEqual(['expected exactly one of', 'days must be positive'])
    expect(found.get('$')).toEqual(['expected a non-empty list of rules'])
  })
})
